"""A sync in a separate process, for the crash, lease and lock tests.

usage: sync_worker.py STORE STATE --total N [--every K] [--hold-at I --hold-file F --ready-file R]
                      [--generation G]

With ``--generation``, the source is a listed one (every run lists it whole) in the given
generation of :func:`generation_items`: 0 is the original, 1 deletes, renames and rewrites.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncdeck import (
    BaseConnector,
    Checkpoint,
    Document,
    IngestionPipeline,
    KnowledgeStore,
    SyncAlreadyRunning,
    SyncEngine,
)

BASE = datetime(2024, 1, 1, tzinfo=UTC)


def generation_items(total: int, generation: int) -> dict[str, tuple[str, str]]:
    """The listed source of the crash tests. Generation 0 is the original; each later one
    deletes, moves (to a new id) and rewrites its own share of the items, so that going
    from any generation to another always has work to do."""
    items: dict[str, tuple[str, str]] = {}
    g = generation
    for i in range(total):
        doc_id, content, version = f"n{i:07d}", f"payload {i} " + "lorem ipsum " * 8, "v0"
        if g >= 1:
            if i % (5 + g) == 3:
                continue
            if i % (9 + g) == 5:
                doc_id = f"m{g}-{i:07d}"
            if i % (11 + g) == 2:
                content, version = f"rewritten {i} in {g} " + "dolor sit " * 8, f"v{g}"
        items[doc_id] = (content, version)
    return items


class Numbered(BaseConnector):
    def __init__(self, args: argparse.Namespace) -> None:
        self.connector_id = args.connector_id
        self.args = args

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        args = self.args
        start = int(cursor) if cursor else 0
        for i in range(start, args.total):
            if i == args.hold_at:
                Path(args.ready_file).touch()
                while not Path(args.hold_file).exists():
                    time.sleep(0.01)
            yield Document(
                doc_id=f"n{i:07d}",
                source=self.connector_id,
                doc_type="note",
                content=f"payload {i} " + "lorem ipsum " * 8,
                title=f"item {i}",
                timestamp=BASE + timedelta(seconds=i),
            )
            if (i + 1) % args.every == 0:
                yield Checkpoint(str(i + 1))
        yield Checkpoint(str(args.total))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("state")
    parser.add_argument("--total", type=int, required=True)
    parser.add_argument("--every", type=int, default=37)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--connector-id", default="numbered")
    parser.add_argument("--hold-at", type=int, default=-1)
    parser.add_argument("--hold-file", default="")
    parser.add_argument("--ready-file", default="")
    parser.add_argument("--generation", type=int, default=-1)
    parser.add_argument("--lease-timeout", type=float, default=60.0)
    args = parser.parse_args()
    store = KnowledgeStore(args.store)
    engine = SyncEngine(
        IngestionPipeline(store),
        state_db=args.state,
        batch_size=args.batch_size,
        lease_timeout=args.lease_timeout,
    )
    connector: BaseConnector = Numbered(args)
    if args.generation >= 0:
        from mirror_sources import ListedSource  # beside this script

        items = generation_items(args.total, args.generation)
        connector = ListedSource(args.connector_id, items, every=args.every)
    try:
        written = engine.sync(connector)
    except SyncAlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return 3
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
