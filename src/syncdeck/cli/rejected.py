"""``syncdeck rejected NAME``: the documents a connector's syncs quarantined, and why."""

from __future__ import annotations

import argparse

from syncdeck.app.wording import plural
from syncdeck.cli import formatting as fmt
from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import known_name, open_from_args


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        records = context.engine.rejected(name, limit=args.limit)
        redact = context.redact
        if args.json:
            print(
                fmt.dump_json(
                    [
                        {
                            "run_id": r.run_id,
                            "item": r.item,
                            "doc_id": redact(r.doc_id) if r.doc_id is not None else None,
                            "reason": redact(r.reason),
                            "payload": redact(r.payload),
                            "rejected_at": fmt.iso(r.rejected_at),
                        }
                        for r in records
                    ]
                )
            )
            return OK
        if not records:
            print(f"{name}: no rejected documents")
            return OK
        print(f"{name}: {plural(len(records), 'rejected document')}, newest first")
        for r in records:
            doc_id = repr(redact(r.doc_id)) if r.doc_id is not None else "(no id)"
            print(
                f"run {r.run_id} item {r.item} {doc_id} at {fmt.when(r.rejected_at)}: "
                f"{redact(r.reason)}"
            )
            print(f"    {fmt.truncate(redact(r.payload).replace(chr(10), ' '), 160)}")
    return OK
