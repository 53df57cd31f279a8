"""Placeholder entry point until the command line lands."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("syncdeck: the command line is not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
