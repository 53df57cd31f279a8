"""Turning state records into text lines and JSON for the commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncdeck.app.wording import duration, first_line, truncate  # noqa: F401 (shared with the other front end)

if TYPE_CHECKING:
    from syncdeck.core.state import RunRecord


Redact = Callable[[str], str]


def when(value: datetime | None) -> str:
    """Local time, to the second; "never" for none."""
    if value is None:
        return "never"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def cursor_text(cursor: str | None, redact: Redact, width: int = 40) -> str:
    """A cursor as it would be typed back to ``syncdeck cursor`` (quoted), or "none"."""
    if cursor is None:
        return "none"
    return truncate(repr(redact(cursor)), width)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> list[str]:
    """Aligned columns; columns in ``numeric`` are right-aligned. The last is not padded."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            last = i == len(cells) - 1
            if i in numeric:
                out.append(cell.rjust(widths[i]))
            else:
                out.append(cell if last else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def run_dict(run: RunRecord, redact: Redact, *, with_traceback: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "run_id": run.run_id,
        "status": str(run.status),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "heartbeat": iso(run.heartbeat),
        "duration": round(run.duration, 3),
        "pid": run.pid,
        "host": run.host,
        "since": iso(run.since),
        "cursor_start": redact(run.cursor_start) if run.cursor_start is not None else None,
        "cursor_end": redact(run.cursor_end) if run.cursor_end is not None else None,
        "documents": run.documents,
        "inserted": run.inserted,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "deleted": run.deleted,
        "deletes_held": run.deletes_held,
        "batches": run.batches,
        "items_synced": run.items_synced,
        "error": run.error,  # as recorded: the engine masked the connector's secrets
        "notice": run.notice,
    }
    if with_traceback:
        data["traceback"] = run.traceback
    return data


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
