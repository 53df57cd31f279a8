"""``syncdeck dev FILE.py:Class [--param K=V ...]`` (or a configured connector whose type is
a file): the app on that connector alone, checked again each time the file is saved."""

from __future__ import annotations

import argparse
import sys

from syncdeck.cli.exit_codes import USAGE
from syncdeck.cli.session import load_config, remember_secrets


def run(args: argparse.Namespace) -> int:
    from syncdeck.core.redaction import secret_values
    from syncdeck.devkit.params import parse_params
    from syncdeck.devkit.runner import CheckOptions
    from syncdeck.devkit.session import DevSession

    params = parse_params(args.param)
    remember_secrets(secret_values(params))
    config = load_config(args)
    type_name, connector_id, base_dir = args.target, None, None
    if args.target in config.specs:
        spec = config.specs[args.target]
        type_name, connector_id, base_dir = spec.type, spec.id, config.base_dir
        params = {**spec.params, **params}
        remember_secrets(spec.secret_values())
    session = DevSession(
        type_name,
        params,
        connector_id=connector_id,
        base_dir=base_dir,
        options=CheckOptions(max_resumes=args.max_resumes, batch_size=config.defaults.batch_size),
    )
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "syncdeck: error: dev is an interactive app and needs a terminal; without one, "
            f"run `syncdeck check {args.target}`",
            file=sys.stderr,
        )
        return USAGE
    from syncdeck.tui.dev.app import run_dev

    return run_dev(session, label=args.target)
