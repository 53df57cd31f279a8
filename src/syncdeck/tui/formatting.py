"""How values read on screen: counts, durations, ages, shortened cursors and errors.

Everything here is a pure function of its arguments (the current time included), so what
the UI shows can be tested and frozen in snapshots.
"""

from __future__ import annotations

from datetime import datetime

NONE = "—"


def count(value: int | None) -> str:
    return NONE if value is None else f"{value:,}"


def rate(per_second: float | None) -> str:
    if per_second is None:
        return NONE
    if per_second >= 100:
        return f"{per_second:,.0f}"
    return f"{per_second:,.1f}"


def duration(seconds: float | None) -> str:
    """``<1s``, ``42s``, ``3m 04s``, ``2h 05m``: precise enough to watch, stable to read."""
    if seconds is None:
        return NONE
    if seconds < 1:
        return "<1s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def age(then: datetime | None, now: datetime) -> str:
    """How long ago ``then`` was; anything within a minute (or in the future) is "just now"."""
    if then is None:
        return "never"
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    days = hours // 24
    if days < 60:
        return f"{days} d ago"
    return then.strftime("%Y-%m-%d")


def first_line(text: str | None) -> str:
    if not text:
        return ""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis at the end."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…"


def middle(text: str, width: int) -> str:
    """``text`` cut to ``width`` with the ellipsis in the middle: cursors differ at both
    ends (a date prefix, an offset suffix), so both are kept."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + text[len(text) - tail :]


def cursor(value: str | None, width: int | None = None) -> str:
    if value is None:
        return NONE
    shown = repr(value) if not value or value != value.strip() else value
    return shown if width is None else middle(shown, width)
