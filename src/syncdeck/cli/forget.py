"""``syncdeck forget NAME``: remove a connector's documents and state, for a source that
was re-pointed elsewhere or removed from the configuration."""

from __future__ import annotations

import argparse

from syncdeck.app.wording import plural
from syncdeck.cli.confirm import ask
from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import known_name, open_from_args


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        documents = context.store.documents_of(name)
        question = (
            f"Forget {name!r}: delete its {documents:,} stored documents, its checkpoint, "
            "run history and quarantine? This cannot be undone."
        )
        refused = ask(args.yes, f"forget {name!r}", question, "not forgotten")
        if refused is not None:
            return refused
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
