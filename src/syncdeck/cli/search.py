"""``syncdeck search QUERY``: full-text search of everything synced, narrowed by source,
document type, author and time range."""

from __future__ import annotations

import argparse
import dataclasses

from syncdeck.app.suggest import did_you_mean
from syncdeck.app.timespec import parse_time
from syncdeck.cli import formatting as fmt
from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import open_from_args
from syncdeck.core.errors import UnknownConnectorError


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        store = context.store
        if args.source is not None:
            known = [*store.sources(), *context.specs]
            if args.source not in known:
                raise UnknownConnectorError(
                    f"no source named {args.source!r} in the store"
                    f"{did_you_mean(args.source, known)}; sources: "
                    f"{', '.join(dict.fromkeys(known)) or 'none yet (sync first)'}"
                )
        since = parse_time(args.since) if args.since else None
        until = parse_time(args.until) if args.until else None
        hits = store.search(
            args.query,
            limit=args.limit,
            source=args.source,
            doc_type=args.type,
            author=args.author,
            since=since,
            until=until,
        )
        if args.json:
            print(
                fmt.dump_json(
                    [
                        {k: v for k, v in dataclasses.asdict(hit).items() if k != "parts"}
                        for hit in hits
                    ]
                )
            )
            return OK
        if not hits:
            where = f" in {args.source!r}" if args.source else ""
            print(f"no documents match {args.query!r}{where}")
            return OK
        for i, hit in enumerate(hits, 1):
            title = hit.title or "(untitled)"
            byline = f" by {hit.author}" if hit.author else ""
            print(
                f"{i}. [{hit.source}] {title}  ({hit.doc_type} {hit.doc_id!r}{byline}, "
                f"{hit.timestamp})"
            )
            snippet = " ".join(hit.snippet.split())
            if snippet:
                print(f"   {fmt.truncate(snippet, 200)}")
    return OK
