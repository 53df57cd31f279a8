"""``syncdeck inspect NAME``: what a connector yields, and what would hurt a sync - a dry run
that writes nothing."""

from __future__ import annotations

import argparse
import contextlib
from datetime import datetime

from syncdeck.app.wording import plural
from syncdeck.cli import formatting as fmt
from syncdeck.cli.exit_codes import OK, SYNC_FAILED
from syncdeck.cli.session import load_config, open_from_args, redact


def _start(args: argparse.Namespace) -> tuple[str | None, datetime | None, str]:
    """Cursor, since and a description of where the dry run starts."""
    if args.cursor is not None:
        return args.cursor, None, f"from cursor {fmt.cursor_text(args.cursor, redact)}"
    if not args.resume:
        return None, None, "from the beginning"
    with open_from_args(args) as context:
        context.spec(args.name)
        checkpoint = context.engine.checkpoint(args.name)
    since = checkpoint.last_sync
    where = f"from the saved cursor {fmt.cursor_text(checkpoint.cursor, redact)}"
    if since is not None:
        where += f", changes since {fmt.when(since)}"
    return checkpoint.cursor, since, where


def run(args: argparse.Namespace) -> int:
    from syncdeck.app.context import make_registry
    from syncdeck.core.inspection import inspect_connector

    config = load_config(args)
    if args.name not in config.specs:
        from syncdeck.app.suggest import did_you_mean
        from syncdeck.core.errors import UnknownConnectorError

        known = ", ".join(config.specs) or "none"
        raise UnknownConnectorError(
            f"no connector named {args.name!r} in the configuration"
            f"{did_you_mean(args.name, config.specs)}; configured: {known}"
        )
    spec = config.specs[args.name]
    cursor, since, where = _start(args)
    connector = make_registry(config).create(
        spec.type, spec.id, spec.params, secrets=spec.secret_values()
    )
    print(
        f"inspect {spec.id} ({spec.type}): {where}, up to {args.limit} documents; "
        "nothing is written"
    )
    report = inspect_connector(
        connector, limit=args.limit, cursor=cursor, since=since, timeout=args.timeout
    )
    if not report.timed_out:  # a timed-out connector may still be running in its thread
        with contextlib.suppress(Exception):
            connector.close()
    for item in report.items:
        if item.kind in ("deleted", "unchanged", "listing complete"):
            which = f" {redact(item.doc_id)!r}" if item.doc_id else ""
            print(f"{item.index:>5}  {item.kind}{which}")
            continue
        if item.kind == "checkpoint":
            cursor_repr = redact(repr(item.cursor))
            print(f"{item.index:>5}  checkpoint  cursor {fmt.truncate(cursor_repr, 80)}")
            continue
        stamp = item.timestamp.isoformat() if item.timestamp else "no timestamp"
        title = f"  {redact(item.title)!r}" if item.title else ""
        print(f"{item.index:>5}  document    {redact(item.doc_id or '')!r}{title}  {stamp}")
        if item.content:
            print(f"{'':>5}              {fmt.truncate(redact(item.content), 100)}")
    if report.error:
        ending = "the connector raised an error"
    elif report.timed_out:
        ending = f"gave up after {args.timeout:g}s"
    elif report.exhausted:
        ending = "the connector finished"
    else:
        ending = "stopped at the limit"
    print(
        f"{plural(report.documents, 'document')}, {plural(report.checkpoints, 'checkpoint')} in "
        f"{fmt.duration(report.elapsed)}; {ending}"
    )
    if report.warnings:
        print(f"warnings ({len(report.warnings)}):")
        for warning in report.warnings:
            print(f"  - {redact(warning)}")
    else:
        print("no warnings")
    if report.traceback:
        print("traceback:")
        print(redact(report.traceback).rstrip())
    return OK if report.ok else SYNC_FAILED
