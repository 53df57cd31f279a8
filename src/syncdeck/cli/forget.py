"""``syncdeck forget NAME``: remove a connector's documents and state, for a source that
was re-pointed elsewhere or removed from the configuration."""

from __future__ import annotations

import argparse
import sys

from syncdeck.app.wording import plural
from syncdeck.cli.checkpoint import confirm
from syncdeck.cli.exit_codes import OK, USAGE
from syncdeck.cli.session import known_name, open_from_args


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        documents = context.store.documents_of(name)
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    f"syncdeck: error: refusing to forget {name!r} without confirmation: stdin "
                    "is not a terminal; pass --yes",
                    file=sys.stderr,
                )
                return USAGE
            question = (
                f"Forget {name!r}: delete its {documents:,} stored documents, its checkpoint, "
                "run history and quarantine? This cannot be undone."
            )
            if not confirm(question):
                print("not forgotten")
                return OK
        deleted = context.engine.forget(name)
        configured = (
            "; it is still configured, so its next sync starts from nothing"
            if name in context.specs
            else ""
        )
        print(
            f"{name}: forgotten ({plural(deleted, 'document')} deleted, state removed){configured}"
        )
    return OK
