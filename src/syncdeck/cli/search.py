"""``syncdeck search QUERY``: full-text search of everything synced."""

from __future__ import annotations

import argparse
import dataclasses

from syncdeck.cli import formatting as fmt
from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import open_from_args


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        hits = context.store.search(args.query, limit=args.limit, source=args.source)
        if args.json:
            print(fmt.dump_json([dataclasses.asdict(hit) for hit in hits]))
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
