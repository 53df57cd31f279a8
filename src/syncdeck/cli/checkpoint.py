"""``syncdeck reset | cursor | undo``: editing where a connector resumes (all undoable)."""

from __future__ import annotations

import argparse

from syncdeck.app.wording import plural
from syncdeck.cli import formatting as fmt
from syncdeck.cli.confirm import ask
from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import known_name, open_from_args
from syncdeck.core.state import CheckpointRow


def _describe(checkpoint: CheckpointRow, redact: fmt.Redact) -> str:
    return (
        f"{plural(checkpoint.items_synced, 'item')} synced, cursor "
        f"{fmt.cursor_text(checkpoint.cursor, redact)}"
    )


def reset(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        current = context.engine.checkpoint(name)
        question = (
            f"Reset {name!r} ({_describe(current, context.redact)})? Its next sync starts "
            "from the beginning; stored documents are kept."
        )
        refused = ask(args.yes, f"reset {name!r}", question, "not reset")
        if refused is not None:
            return refused
        context.engine.reset_checkpoint(name)
        print(
            f"{name}: reset (was {_describe(current, context.redact)}); the next sync starts "
            f"from the beginning. Undo with: syncdeck undo {name}"
        )
    return OK


def set_cursor(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        current = context.engine.checkpoint(name)
        if name in context.specs:  # what the connector cannot read is refused, not saved
            context.check_cursor(name, args.value)
        context.engine.set_cursor(name, args.value)
        print(
            f"{name}: cursor set to {fmt.cursor_text(args.value, context.redact, 200)} (was "
            f"{fmt.cursor_text(current.cursor, context.redact, 200)}); the next sync resumes "
            f"there. Undo with: syncdeck undo {name}"
        )
    return OK


def undo(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        context.engine.undo_checkpoint(name)
        restored = context.engine.checkpoint(name)
        print(f"{name}: restored {_describe(restored, context.redact)}")
    return OK
