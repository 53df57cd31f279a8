"""The argparse definition of every command.

Each command names the module and function that runs it; the module is imported only
when that command runs, so ``syncdeck status`` does not pay for ``sync`` or the UI.
"""

from __future__ import annotations

import argparse

from syncdeck import __version__

DESCRIPTION = (
    "Connector syncs that resume where they stopped. Without a command, opens the terminal UI."
)

EPILOG = """\
configuration: --config FILE, else $SYNCDECK_CONFIG, else the per-user syncdeck.toml;
with none, a demo configuration over bundled sample data is used.
data: --data-dir DIR, else $SYNCDECK_DATA_DIR, else the per-user data folder;
with --database-url URL, else $SYNCDECK_DATABASE_URL, else [defaults] database_url,
state and store live in that PostgreSQL database instead (shared by every host).

exit codes: 0 success, 1 a sync failed, 2 usage or configuration error,
3 the connector is already syncing, 130 interrupted."""


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a number of at least {minimum}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def _non_negative_int(text: str) -> int:
    return _int_at_least(text, 0)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {value:g}")
    return value


def _add_locations(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Sub-commands repeat these with SUPPRESS so a value given before the command is not
    # overwritten by the sub-parser's default.
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="configuration file (TOML)",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="folder for the state database and the knowledge store",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=default,
        help="postgresql://user:password@host:port/db holding state and store (all hosts)",
    )


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: str,
    help_text: str,
) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    _add_locations(parser, top=False)
    parser.set_defaults(handler=handler)
    return parser


def _params_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a connector parameter, read as a TOML value where it is one (count=5, "
        'path="a b", include=["*.md"]), else as a string; repeat for more',
    )


def _add_devkit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The connector developer kit: check, new-connector, dev."""
    p = _command(
        sub,
        "check",
        "syncdeck.cli.check:run",
        "check a connector against the sync contract, on scratch databases",
    )
    p.epilog = (
        "exit codes: 0 every applicable check passed, 1 a check failed, 2 usage or "
        "configuration error. The user's data directory is never touched."
    )
    p.add_argument(
        "target",
        metavar="NAME|TYPE",
        help="a configured connector, or a type: a built-in name, package.module:Class or "
        "path/to/file.py:Class",
    )
    _params_flag(p)
    p.add_argument(
        "--max-resumes",
        type=_non_negative_int,
        default=25,
        metavar="N",
        help="checkpoints to resume from: all when there are fewer, an even spread "
        "otherwise (default 25; 0 skips the resume checks)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        help="the engine's batch size (default: [defaults] batch_size)",
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the scratch databases and say where they are"
    )
    _json_flag(p)

    p = _command(
        sub,
        "new-connector",
        "syncdeck.cli.new_connector:run",
        "write a connector to start from, with a sample source, a configuration snippet "
        "and a test that runs check on it",
    )
    p.add_argument("name", metavar="NAME", help="the connector's name, e.g. my-feed")
    p.add_argument(
        "--dir", metavar="DIR", help="where to write the files (default: the current folder)"
    )
    p.add_argument("--force", action="store_true", help="replace files that already exist")

    p = _command(
        sub,
        "dev",
        "syncdeck.cli.dev:run",
        "open the app on one connector under development: inspect and check it again "
        "each time its file is saved",
    )
    p.add_argument(
        "target",
        metavar="FILE.py:CLASS",
        help="the connector's type, path/to/file.py:Class (or a configured connector of "
        "such a type)",
    )
    _params_flag(p)
    p.add_argument(
        "--max-resumes",
        type=_non_negative_int,
        default=10,
        metavar="N",
        help="checkpoints each check resumes from (default 10, to keep reloads quick)",
    )


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syncdeck",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"syncdeck {__version__}")
    _add_locations(parser, top=True)
    parser.set_defaults(handler=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = _command(sub, "sync", "syncdeck.cli.sync:run", "run connector syncs with live progress")
    p.add_argument("names", nargs="*", metavar="NAME", help="connectors to sync")
    p.add_argument("--all", action="store_true", help="sync every configured connector")
    p.add_argument(
        "--max-concurrent",
        type=_positive_int,
        metavar="N",
        help="connectors syncing at once (default: [defaults] max_concurrent)",
    )
    p.add_argument(
        "--apply-deletes",
        action="store_true",
        help="apply deletions the deletion guard would hold back (more than delete_limit "
        "of a connector's documents, or all of them): the source really lost them",
    )

    p = _command(sub, "status", "syncdeck.cli.status:run", "checkpoint state of every connector")
    _json_flag(p)

    p = _command(sub, "history", "syncdeck.cli.history:run", "recent runs of a connector")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--limit", type=_positive_int, default=20, metavar="N", help="runs to show")
    _json_flag(p)

    p = _command(sub, "reset", "syncdeck.cli.checkpoint:reset", "start a connector over (undoable)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = _command(
        sub, "cursor", "syncdeck.cli.checkpoint:set_cursor", "set where the next sync resumes"
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("value", metavar="VALUE", help="the cursor, exactly as the connector uses it")

    p = _command(
        sub, "undo", "syncdeck.cli.checkpoint:undo", "revert the last reset or cursor edit"
    )
    p.add_argument("name", metavar="NAME")

    p = _command(
        sub,
        "release",
        "syncdeck.cli.release:run",
        "free a connector's lease by hand (its holder stuck, or its host gone)",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = _command(
        sub,
        "forget",
        "syncdeck.cli.forget:run",
        "remove a connector's documents and state (for a source re-pointed or removed)",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = _command(
        sub, "rejected", "syncdeck.cli.rejected:run", "documents a connector's syncs rejected"
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--limit", type=_positive_int, default=100, metavar="N")
    _json_flag(p)

    p = _command(
        sub,
        "migrate",
        "syncdeck.cli.migrate:run",
        "copy this deck's SQLite state and store into a PostgreSQL database (resumable)",
    )
    p.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://... (an empty database)"
    )
    p.add_argument(
        "--chunk", type=_positive_int, default=2000, metavar="N", help="documents per commit"
    )

    p = _command(sub, "search", "syncdeck.cli.search:run", "full-text search of the store")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--source", metavar="NAME", help="only documents of this source")
    p.add_argument("--type", metavar="TYPE", help="only documents of this type (note, message...)")
    p.add_argument("--author", metavar="TEXT", help="only documents whose author contains TEXT")
    p.add_argument(
        "--since", metavar="TIME", help="only documents dated from TIME (2024-03-01, 7d...)"
    )
    p.add_argument("--until", metavar="TIME", help="only documents dated before TIME")
    p.add_argument("--limit", type=_positive_int, default=10, metavar="N")
    _json_flag(p)

    p = _command(
        sub, "export", "syncdeck.cli.export:run", "write a connector's stored documents to stdout"
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        default="jsonl",
        help="JSON Lines (default) or CSV",
    )

    p = _command(
        sub,
        "connectors",
        "syncdeck.cli.connectors:run",
        "connector types, their parameters, and the configured instances",
    )
    p.add_argument(
        "type",
        nargs="?",
        metavar="TYPE",
        help="show one type (a name, package.module:Class or path/to/file.py:Class)",
    )

    p = _command(
        sub,
        "inspect",
        "syncdeck.cli.dry_run:run",
        "dry run: show what a connector yields, writing nothing",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--limit", type=_positive_int, default=20, metavar="N", help="documents")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--cursor", metavar="VALUE", help="start from this cursor")
    start.add_argument(
        "--resume", action="store_true", help="start from the saved checkpoint (cursor, since)"
    )
    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=30.0,
        metavar="SECONDS",
        help="give up waiting for the connector after this long (default 30)",
    )
    _add_devkit(sub)
    return parser
