"""``syncdeck new-connector NAME [--dir DIR]``: write a connector to start from, a sample
of its source, a configuration snippet and a test that runs ``check`` on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from syncdeck.cli.exit_codes import OK


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is below it (as typed next)."""
    try:
        return "./" + str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run(args: argparse.Namespace) -> int:
    from syncdeck.devkit.scaffold import write

    directory = Path(args.dir).expanduser() if args.dir else Path.cwd()
    scaffold, paths = write(args.name, directory, force=args.force)
    names = scaffold.names
    print(f"wrote the {names.title} connector ({names.cls}):")
    for path in paths:
        print(f"  {_shown(path)}")
    connector = _shown(directory / scaffold.connector_file)
    sample = _shown(directory / scaffold.sample_file)
    target = f"{connector}:{names.cls}"
    test = _shown(directory / f"test_{names.module}.py")
    print()
    print("next:")
    print(f"  syncdeck check {target} --param path={sample}")
    print(f"  syncdeck dev {target} --param path={sample}")
    print(f"  python -m pytest {test}")
    snippet = _shown(directory / f"{names.module}.toml")
    print("then replace fetch_page() with requests to your source, and add the table in")
    print(f"{snippet} to your configuration")
    return OK
