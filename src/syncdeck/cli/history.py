"""``syncdeck history NAME``: a connector's recent runs, newest first."""

from __future__ import annotations

import argparse

from syncdeck.cli import formatting as fmt
from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import known_name, open_from_args


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        runs = context.engine.runs(name, limit=args.limit)
        redact = context.redact
        if args.json:
            print(
                fmt.dump_json(
                    {
                        "id": name,
                        "runs": [fmt.run_dict(r, redact, with_traceback=True) for r in runs],
                    }
                )
            )
            return OK
        if not runs:
            print(f"{name}: no runs yet")
            return OK
        rows = []
        for r in runs:
            rows.append(
                [
                    str(r.run_id),
                    str(r.status),
                    fmt.when(r.started_at),
                    fmt.duration(r.duration),
                    f"{r.documents:,}",
                    f"{r.inserted:,}",
                    f"{r.updated:,}",
                    f"{r.unchanged:,}",
                    f"{r.deleted:,}",
                    f"{r.rejected:,}",
                    f"{fmt.cursor_text(r.cursor_start, redact, 24)} -> "
                    f"{fmt.cursor_text(r.cursor_end, redact, 24)}",
                ]
            )
        headers = [
            "RUN",
            "STATUS",
            "STARTED",
            "TOOK",
            "DOCS",
            "NEW",
            "UPD",
            "SAME",
            "DEL",
            "REJ",
            "CURSOR",
        ]
        for line in fmt.table(headers, rows, numeric={0, 4, 5, 6, 7, 8, 9}):
            print(line)
        for r in runs:
            if r.notice:
                print(f"run {r.run_id}: {r.notice}")
            if r.error:
                print(f"run {r.run_id}: {fmt.first_line(r.error)}")
        newest = runs[0]
        if newest.traceback:
            print(f"\ntraceback of run {newest.run_id}:")
            print(newest.traceback.rstrip())  # as recorded: secrets masked by the engine
    return OK
