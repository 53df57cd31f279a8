"""Times as people type them for a search range: a date, a date and time, ISO 8601 with an
offset, or a span back from now (``7d``, ``12h``, ``30m``, ``2w``). Shared by the command
line and the search screen so both read the same words the same way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from syncdeck.core.errors import SyncdeckError

_SPAN = re.compile(r"(?P<n>\d+)\s*(?P<unit>[mhdw])", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
FORMATS_HELP = (
    "a date (2024-03-01), a date and time (2024-03-01 14:30), or a span back from now (7d, 12h, 2w)"
)


class TimeSpecError(SyncdeckError):
    """A time that could not be read."""


def parse_time(text: str, *, now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
    """An aware datetime for ``text``. A date or time without an offset is taken in
    ``tz`` (None: the local time zone); a span counts back from ``now``."""
    value = text.strip()
    if not value:
        raise TimeSpecError(f"expected a time: {FORMATS_HELP}")
    span = _SPAN.fullmatch(value)
    if span is not None:
        moment = now or datetime.now(UTC)
        return moment - timedelta(**{_UNITS[span["unit"].lower()]: int(span["n"])})
    try:
        parsed = datetime.fromisoformat(
            value.replace("Z", "+00:00") if value.endswith("Z") else value
        )
    except ValueError:
        raise TimeSpecError(f"cannot read {text!r} as a time; expected {FORMATS_HELP}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz) if tz is not None else parsed.astimezone()
    return parsed
