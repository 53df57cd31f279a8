"""``syncdeck export NAME``: a connector's stored documents on stdout, as JSON Lines (one
object per document) or CSV (participants and metadata as JSON text), for another tool
to read. Documents are read a page at a time, so an export of any size streams."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import known_name, open_from_args

#: The columns, in order; the store's content hash is its own business.
FIELDS = (
    "source",
    "doc_id",
    "doc_type",
    "title",
    "author",
    "participants",
    "timestamp",
    "thread_id",
    "url",
    "metadata",
    "version",
    "connector",
    "ingested_at",
    "content",
)


def _row(document: dict[str, Any]) -> dict[str, Any]:
    return {name: document.get(name) for name in FIELDS}


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        documents = context.store.export(name)
        out = sys.stdout
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=FIELDS)
            writer.writeheader()
            for document in documents:
                row = _row(document)
                for key in ("participants", "metadata"):
                    row[key] = json.dumps(row[key], ensure_ascii=False)
                writer.writerow(row)
        else:
            for document in documents:
                out.write(json.dumps(_row(document), ensure_ascii=False, default=str) + "\n")
        out.flush()
    return OK
