"""Turning the timestamps sources hold (ISO text, epoch numbers, mail dates) into aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from syncdeck.core.documents import as_utc

# Epoch numbers this large cannot be seconds (year > 5000): they are ms, µs or ns.
_EPOCH_SCALES = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))


def parse_timestamp(value: Any) -> datetime | None:
    """An aware-UTC datetime from ``value``, or None when it is missing or not a time.

    Accepts datetimes (naive ones are UTC), epoch numbers in seconds, milliseconds,
    microseconds or nanoseconds (also as numeric strings), ISO 8601 text and RFC 2822
    dates.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return _from_epoch(float(text))
    except ValueError:
        pass
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return as_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _from_epoch(number: float) -> datetime | None:
    for threshold, scale in _EPOCH_SCALES:
        if abs(number) >= threshold:
            number /= scale
            break
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def isoformat_z(value: datetime) -> str:
    """``2024-05-01T12:00:00Z``: the ISO form APIs most often accept in a query string."""
    return as_utc(value).isoformat().replace("+00:00", "Z")
