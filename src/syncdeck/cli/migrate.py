"""``syncdeck migrate --to postgresql://...``: copy this deck's SQLite state and store into
a PostgreSQL database, verified by counts and resumable (core.postgres.migrate)."""

from __future__ import annotations

import argparse
import sys

from syncdeck.app.paths import STATE_DB_NAME, STORE_DB_NAME, resolve_data_dir
from syncdeck.cli.exit_codes import OK, USAGE
from syncdeck.cli.session import remember_secrets
from syncdeck.core.backend import is_database_url
from syncdeck.core.redaction import redact_text, secret_values


def run(args: argparse.Namespace) -> int:
    url = args.to
    if not is_database_url(url):
        print("syncdeck: error: --to expects a postgresql:// URL", file=sys.stderr)
        return USAGE
    remember_secrets(secret_values({"url": url}))
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    store, state = data_dir / STORE_DB_NAME, data_dir / STATE_DB_NAME
    if not store.is_file() or not state.is_file():
        print(
            f"syncdeck: error: {data_dir}: no SQLite deck to migrate here ({STORE_DB_NAME} and "
            f"{STATE_DB_NAME}); choose it with --data-dir",
            file=sys.stderr,
        )
        return USAGE
    from syncdeck.core.postgres.migrate import migrate

    target = redact_text(url, [])
    print(f"migrating {data_dir} to {target}")

    def progress(copied: int, total: int) -> None:
        print(f"  documents: {copied:,} of {total:,}", flush=True)

    report = migrate(store, state, url, chunk=args.chunk, progress=progress)
    verb = "copied and verified"
    if report.resumed:
        verb = "continued and verified" if report.copied_now else "already migrated; verified"
    print(
        f"{verb}: {report.documents:,} documents of {len(report.connectors)} connectors, "
        f"{report.checkpoints} checkpoints, {report.runs:,} runs, {report.history} checkpoint "
        f"changes, {report.quarantine} quarantined documents"
    )
    print("use it with --database-url, $SYNCDECK_DATABASE_URL or [defaults] database_url")
    return OK
