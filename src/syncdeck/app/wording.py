"""How both front ends word a run: durations, counters, errors and shortened text.

Pure functions of their arguments, so what the CLI prints and what the UI paints can be
tested and frozen in snapshots. Counters are named by iterating :class:`RunCounts`, so a
counter added to it shows up in every summary without touching them.
"""

from __future__ import annotations

from syncdeck.core.counters import COUNTER_NAMES, RunCounts
from syncdeck.core.describe import describe_error
from syncdeck.core.errors import SyncdeckError

NONE = "—"
#: Counters that measure the run rather than say what became of its documents.
VOLUME = ("documents", "batches")
#: Shown even when zero: every run's summary names them.
USUAL = ("inserted", "updated", "unchanged", "rejected")
#: Printed names that differ from the field names.
LABELS = {"inserted": "new"}


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


def outcome_names(counts: RunCounts | None) -> list[str]:
    """The counters that say what became of the documents, in field order with
    ``rejected`` last (those never reached the store): the usual ones always, any other
    only when it counted something."""
    names = [name for name in COUNTER_NAMES if name not in VOLUME and name != "rejected"]
    return [
        name
        for name in [*names, "rejected"]
        if name in USUAL or (counts is not None and getattr(counts, name))
    ]


def outcomes(counts: RunCounts) -> list[tuple[str, int]]:
    """``[("new", 12), ("updated", 0), ...]``, as both front ends print them."""
    return [(LABELS.get(name, name), getattr(counts, name)) for name in outcome_names(counts)]


def error_text(error: BaseException) -> str:
    """An error as an operator reads it: syncdeck's own errors are sentences already;
    anything else is named by its type."""
    return str(error) if isinstance(error, SyncdeckError) else describe_error(error)


def first_line(text: str | None) -> str:
    """The first line that is not blank, stripped."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis at the end."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
