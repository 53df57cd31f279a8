"""How both front ends word a run: durations, counters, errors and shortened text.

Pure functions of their arguments, so what the CLI prints and what the UI paints can be
tested and frozen in snapshots. Counters are named by iterating :class:`RunCounts`, so a
counter added to it shows up in every summary without touching them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncdeck.core.counters import COUNTER_NAMES, RunCounts
from syncdeck.core.describe import describe_error
from syncdeck.core.errors import SyncdeckError

if TYPE_CHECKING:
    from syncdeck.app.live import LiveRun

NONE = "—"
#: Counters that measure the run rather than say what became of its documents.
VOLUME = ("documents", "batches")
#: Shown even when zero: every run's summary names them.
USUAL = ("inserted", "updated", "unchanged", "rejected")
#: Printed names that differ from the field names.
LABELS = {"inserted": "new"}
#: A running connector silent this long is shown as waiting on it.
WAITING_AFTER = 5.0
#: A cancel the connector has not answered for this long may be forced (abandon).
ABANDON_AFTER = 10.0


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


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 document``, ``2 documents``, ``1,204 documents`` (``words`` when the plural is
    not ``word + "s"``)."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def size(count: float) -> str:
    """Bytes as people read them: ``512 B``, ``12.3 KB``, ``4.1 MB``, ``2.0 GB``."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} TB"  # pragma: no cover - the loop returns at GB


def amount(value: float, unit: str) -> str:
    """A progress amount in its unit: bytes as a size, anything else counted."""
    return size(value) if unit == "bytes" else f"{int(value):,}"


def progress_text(view: LiveRun) -> str | None:
    """``42% · 84,000 of 200,000 documents · 1m 10s left``, or ``3,120 files`` while the
    total is unknown; None when the connector gives no hint, or once the run has ended (its
    last hint is then out of date: a run that succeeded read everything)."""
    progress = view.progress
    if progress is None or not view.running:
        return None
    unit = progress.unit
    if progress.total is None or progress.share is None:
        shown = amount(progress.done, unit)
        return shown if unit == "bytes" else f"{shown} {unit}"
    parts = [
        f"{progress.share * 100:.0f}%",
        f"{amount(progress.done, unit)} of {amount(progress.total, unit)}"
        + ("" if unit == "bytes" else f" {unit}"),
    ]
    eta = view.eta
    if eta is not None:
        parts.append(f"{duration(eta)} left")
    return " · ".join(parts)


def waiting_text(view: LiveRun) -> str | None:
    """``waiting on the connector for 23s (57 documents held)`` once a running
    connector has been silent for WAITING_AFTER seconds."""
    if not view.running or view.waiting < WAITING_AFTER:
        return None
    text = f"waiting on the connector for {duration(view.waiting)}"
    if view.held:
        text += f" ({plural(view.held, 'document')} read, not yet stored)"
    return text
