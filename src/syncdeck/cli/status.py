"""``syncdeck status``: every connector's checkpoint, live runs included (any process)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncdeck.app.wording import plural
from syncdeck.cli import formatting as fmt
from syncdeck.cli.exit_codes import OK, USAGE
from syncdeck.cli.session import open_from_args

if TYPE_CHECKING:
    from syncdeck.app.context import AppContext
    from syncdeck.core.state import CheckpointChange, ConnectorState


def state_label(state: ConnectorState | None, last_change: CheckpointChange | None = None) -> str:
    """One word for what a connector is doing or how it last ended; ``last_change`` is
    the newest manual checkpoint edit (reset / cursor), which wins over an older run."""
    if state is None:
        return "never run"
    if state.active is not None:
        return "running"
    last = state.last_run
    if last_change is not None:
        changed = last_change.changed_at
        if last is None or changed >= (last.finished_at or last.started_at):
            return "reset" if last_change.action == "reset" else "cursor set"
    if state.error:
        return "deletes held" if last is not None and last.deletes_held else "failed"
    if last is None:
        return "never run"
    if str(last.status) == "running":
        return "abandoned"  # its process is gone; the next sync takes the lease over
    return "synced" if str(last.status) == "succeeded" else str(last.status)


def _last_change(context: AppContext, name: str) -> CheckpointChange | None:
    changes = context.engine.checkpoint_history(name, limit=1)
    return changes[0] if changes else None


def collect(context: AppContext) -> list[dict[str, Any]]:
    """One record per connector: configured ones in config order, then any others the
    state database knows (removed from the configuration, or run from code)."""
    states = context.engine.states()
    redact = context.redact
    names = list(dict.fromkeys([*context.specs, *states]))
    records = []
    for name in names:
        spec = context.specs.get(name)
        state = states.get(name)
        invalid = context.problem(name) if spec is not None else None
        records.append(
            {
                "id": name,
                "type": spec.type if spec else None,
                "configured": spec is not None,
                "params": spec.redacted_params() if spec else None,
                "state": (
                    "invalid"
                    if invalid
                    else state_label(state, _last_change(context, name) if state else None)
                ),
                "invalid": redact(invalid) if invalid else None,
                "items_synced": state.items_synced if state else 0,
                "cursor": redact(state.cursor) if state and state.cursor is not None else None,
                "last_sync": fmt.iso(state.last_sync) if state else None,
                "error": state.error if state else None,  # masked when it was recorded
                "running": bool(state and state.active),
                "active": fmt.run_dict(state.active, redact) if state and state.active else None,
                "last_run": (
                    fmt.run_dict(state.last_run, redact) if state and state.last_run else None
                ),
            }
        )
    return records


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        records = collect(context)
        code = _report_invalid(records)
        if args.json:
            print(
                fmt.dump_json(
                    {
                        "config": str(context.config_path) if context.config_path else None,
                        "data_dir": str(context.data_dir),
                        "database": context.database_label,
                        "connectors": records,
                    }
                )
            )
            return code
        print(f"config: {context.config_source}")
        if context.database_label:
            print(f"data:   {context.database_label}")
        else:
            print(f"data:   {context.data_dir}")
        if not records:
            print("no connectors configured")
            return OK
        rows = []
        for rec in records:
            name = rec["id"] if rec["configured"] else f"{rec['id']} (not configured)"
            note = ""
            if rec["invalid"]:
                # the file is the one named above the table
                reason = rec["invalid"].removeprefix(f"{context.config_path}: ")
                note = fmt.truncate(fmt.first_line(reason), 100)
            elif rec["active"]:
                active = rec["active"]
                note = (
                    f"run {active['run_id']}, pid {active['pid']} on {active['host']}, "
                    f"{plural(active['documents'], 'document')} so far"
                )
            elif rec["error"]:
                note = fmt.truncate(fmt.first_line(rec["error"]), 80)
            rows.append(
                [
                    name,
                    rec["type"] or "-",
                    rec["state"],
                    f"{rec['items_synced']:,}",
                    _local(rec["last_sync"]),
                    fmt.cursor_text(rec["cursor"], str),
                    note,
                ]
            )
        headers = ["NAME", "TYPE", "STATE", "ITEMS", "LAST SYNC", "CURSOR", ""]
        for line in fmt.table(headers, rows, numeric={3}):
            print(line)
    return code


def _report_invalid(records: list[dict[str, Any]]) -> int:
    """Say on stderr which connectors cannot run and why; exit 2 when any cannot, so a
    broken configuration is never a silent success."""
    invalid = [rec for rec in records if rec.get("invalid")]
    for rec in invalid:
        print(f"syncdeck: error: {rec['invalid']}", file=sys.stderr)
    if invalid:
        names = ", ".join(rec["id"] for rec in invalid)
        count = len(invalid)
        what = "connector is" if count == 1 else "connectors are"
        print(f"syncdeck: {count} {what} misconfigured: {names}", file=sys.stderr)
        return USAGE
    return OK


def _local(iso_text: str | None) -> str:
    return fmt.when(datetime.fromisoformat(iso_text) if iso_text else None)
