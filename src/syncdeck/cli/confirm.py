"""Asking before a command changes or removes what cannot be had back easily."""

from __future__ import annotations

import sys

from syncdeck.cli.exit_codes import OK, USAGE


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; anything but yes (or end of input) is no."""
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def ask(yes: bool, action: str, question: str, declined: str) -> int | None:
    """None to go on: ``--yes`` was given or the operator said yes. Otherwise the exit code
    to return: 0 when they said no (``declined`` is printed), 2 when nobody can be asked
    (stdin is not a terminal: a script must say ``--yes``)."""
    if yes:
        return None
    if not sys.stdin.isatty():
        print(
            f"syncdeck: error: refusing to {action} without confirmation: stdin is not a "
            "terminal; pass --yes",
            file=sys.stderr,
        )
        return USAGE
    if not confirm(question):
        print(declined)
        return OK
    return None
