"""``syncdeck check NAME | TYPE [--param K=V ...]``: run a connector against scratch
databases through the real engine and report, check by check, whether it keeps the sync
and mirror contracts (docs/writing-a-connector.md). Exit 0 when every applicable check
passes, 1 when one fails, 2 on a usage or configuration error."""

from __future__ import annotations

import argparse
import json
import shutil
import sys

from syncdeck.cli.session import load_config, redact, remember_secrets


def _unicode(stream: object) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "✓✗\N{EN DASH}".encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return False
    return True


class _ProgressLine:
    """One line on stderr, rewritten as the runs go (only on a terminal)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.width = 0

    def __call__(self, what: str, done: int, planned: int) -> None:
        columns = shutil.get_terminal_size((80, 24)).columns
        text = f"check {self.name}: {what} (run {done + 1} of {planned})"[: columns - 1]
        sys.stderr.write("\r" + text.ljust(self.width))
        sys.stderr.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from syncdeck.core.redaction import secret_values
    from syncdeck.devkit.params import parse_params
    from syncdeck.devkit.runner import CheckOptions, run_checks
    from syncdeck.devkit.target import resolve_target

    params = parse_params(args.param)
    remember_secrets(secret_values(params))
    config = load_config(args)
    target = resolve_target(config, args.target, params)
    options = CheckOptions(
        max_resumes=args.max_resumes,
        batch_size=args.batch_size or target.batch_size,
        delete_limit=target.delete_limit,
        keep=args.keep,
    )
    progress = _ProgressLine(target.connector_id) if sys.stderr.isatty() else None
    try:
        report = run_checks(
            target.factory, type_name=target.type_name, options=options, progress=progress
        )
    finally:
        if progress is not None:
            progress.clear()
    if args.json:
        print(redact(json.dumps(report.to_json(), indent=2, ensure_ascii=False)))
    else:
        width = min(shutil.get_terminal_size((100, 24)).columns, 120)
        print(redact(report.render(width=width, unicode=_unicode(sys.stdout))))
    return report.exit_code
