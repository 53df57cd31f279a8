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


def _not_utf8(argument: str) -> str | None:
    """Why an argument cannot be used, when the shell passed bytes that are not UTF-8
    (Python keeps them as lone surrogates, which no database or search can take)."""
    try:
        argument.encode("utf-8")
    except UnicodeEncodeError:
        raw = argument.encode("utf-8", "surrogateescape")
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f" (byte 0x{raw[exc.start]:02x} at position {exc.start})"
        else:  # pragma: no cover - a surrogate that came from elsewhere
            where = ""
        return (
            f"argument {raw!r} is not valid UTF-8{where}; syncdeck takes text arguments: "
            "check the terminal's encoding (the locale) or retype it"
        )
    return None


def _open_ui(args: object, parser: object) -> int:
    try:
        spec = find_spec(UI_MODULE)
    except ModuleNotFoundError:  # its package is missing altogether
        spec = None
    if spec is None:
        parser.print_help()  # type: ignore[attr-defined]
        return OK
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "syncdeck: the terminal UI needs a terminal (stdin and stdout are not one: cron, "
            "a pipe or a redirect?); in scripts use a command, e.g. `syncdeck sync --all` or "
            "`syncdeck status` (see `syncdeck --help`)",
            file=sys.stderr,
        )
        return USAGE
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
    raw = sys.argv[1:] if argv is None else argv
    for argument in raw:
        problem = _not_utf8(argument)
        if problem is not None:
            _error(problem)
            return USAGE
    args = parser.parse_args(raw)
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
        # the reader went away (``syncdeck status | head -1``): it had what it wanted, so
        # this is no failure; stdout goes to /dev/null so the final flush cannot fail
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return OK
    except Exception as exc:  # a bug: say so plainly, keep the details, mask secrets
        import traceback

        print(redact("".join(traceback.format_exception(exc))), file=sys.stderr, end="")
        _error(f"unexpected {type(exc).__name__}; this is a bug in syncdeck or a connector")
        return SYNC_FAILED


if __name__ == "__main__":
    sys.exit(main())
