"""``syncdeck reset | cursor | undo``: editing where a connector resumes (all undoable)."""

from __future__ import annotations

import argparse
import sys

from syncdeck.cli import formatting as fmt
from syncdeck.cli.exit_codes import OK, USAGE
from syncdeck.cli.session import known_name, open_from_args
from syncdeck.core.state import CheckpointRow


def _describe(checkpoint: CheckpointRow, redact: fmt.Redact) -> str:
    return (
        f"{checkpoint.items_synced:,} items synced, cursor "
        f"{fmt.cursor_text(checkpoint.cursor, redact)}"
    )


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; anything but yes (or end of input) is no."""
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def reset(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        current = context.engine.checkpoint(name)
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    f"syncdeck: error: refusing to reset {name!r} without confirmation: stdin "
                    "is not a terminal; pass --yes",
                    file=sys.stderr,
                )
                return USAGE
            question = (
                f"Reset {name!r} ({_describe(current, context.redact)})? Its next sync starts "
                "from the beginning; stored documents are kept."
            )
            if not confirm(question):
                print("not reset")
                return OK
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
