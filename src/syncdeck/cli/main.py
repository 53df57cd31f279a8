"""``syncdeck`` entry point: parse, run one command, map errors to exit codes.

Errors syncdeck diagnosed (configuration, registry, database) are printed as one message
on stderr, never as a traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.util import find_spec

from syncdeck.cli.exit_codes import ALREADY_RUNNING, INTERRUPTED, OK, SYNC_FAILED, USAGE
from syncdeck.cli.session import redact
from syncdeck.core.errors import SyncAlreadyRunning, SyncdeckError

UI_MODULE = "syncdeck.tui.app"


def _error(message: str) -> None:
    print(f"syncdeck: error: {redact(message)}", file=sys.stderr)


def _open_ui(args: object, parser: object) -> int:
    try:
        spec = find_spec(UI_MODULE)
    except ModuleNotFoundError:  # its package is missing altogether
        spec = None
    if spec is None:
        parser.print_help()  # type: ignore[attr-defined]
        return OK
    from syncdeck.cli.session import open_from_args

    context = open_from_args(args)  # type: ignore[arg-type]
    try:
        run_app = import_module(UI_MODULE).run_app
        result = run_app(context)
    finally:
        context.close()
    return result if isinstance(result, int) else OK


def main(argv: list[str] | None = None) -> int:
    from syncdeck.cli.parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.handler is None:
            return _open_ui(args, parser)
        module_name, _, function = args.handler.partition(":")
        handler = getattr(import_module(module_name), function)
        return handler(args)
    except SyncAlreadyRunning as exc:
        _error(str(exc))
        return ALREADY_RUNNING
    except SyncdeckError as exc:
        _error(str(exc))
        return USAGE
    except KeyboardInterrupt:
        print("syncdeck: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``syncdeck status | head``): nothing left to say
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return SYNC_FAILED
    except Exception as exc:  # a bug: say so plainly, keep the details, mask secrets
        import traceback

        print(redact("".join(traceback.format_exception(exc))), file=sys.stderr, end="")
        _error(f"unexpected {type(exc).__name__}; this is a bug in syncdeck or a connector")
        return SYNC_FAILED


if __name__ == "__main__":
    sys.exit(main())
