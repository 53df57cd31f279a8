"""How values read on screen: counts, durations, ages, shortened cursors and errors.

Everything here is a pure function of its arguments (the current time included), so what
the UI shows can be tested and frozen in snapshots.
"""

from __future__ import annotations

from datetime import datetime

from syncdeck.app.wording import NONE, duration, first_line, truncate  # noqa: F401 (shared with the other front end)


def count(value: int | None) -> str:
    return NONE if value is None else f"{value:,}"


def rate(per_second: float | None) -> str:
    if per_second is None:
        return NONE
    if per_second >= 100:
        return f"{per_second:,.0f}"
    return f"{per_second:,.1f}"


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
