"""``syncdeck migrate --to URL``: a SQLite deck copied into PostgreSQL, exact, resumable
after a kill, refusing a database that holds anything else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from core.conftest import CountingConnector
from core.mirror_sources import ListedSource, items
from core.test_engine import Mixed
from pg_cluster import PASSWORD, Cluster

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.core.postgres.migrate import MigrationError, migrate


def make_deck(folder: Path, total: int = 3_000) -> None:
    """A used SQLite deck: two connectors, a reset (undo history), a failed run, a
    quarantine and a mirror deletion, so every table has rows."""
    folder.mkdir(parents=True, exist_ok=True)
    with (
        KnowledgeStore(folder / "knowledge.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=folder / "sync_state.db") as engine,
    ):
        engine.sync(CountingConnector("counting", total=total, every=50))
        engine.reset_checkpoint("counting")
        engine.sync(CountingConnector("counting", total=total, every=50))
        with pytest.raises(RuntimeError):
            engine.sync(CountingConnector("broken", total=80, fail_at=55))
        engine.sync(Mixed("mixed"))
        source = items(20)
        engine.sync(ListedSource("listed", source))
        del source["item-00003"]
        engine.sync(ListedSource("listed", source))


def snapshot(store_location: str | Path, state_location: str | Path) -> dict[str, object]:
    with (
        KnowledgeStore(store_location) as store,
        SyncEngine(IngestionPipeline(store), state_db=state_location) as engine,
    ):
        names = ["counting", "broken", "mixed", "listed"]
        return {
            "ids": {n: sorted(store.ids(n)) for n in names},
            "content": store.get("counting", "doc-000007"),
            "checkpoints": {n: engine.get_checkpoint(n) for n in names},
            "runs": {
                n: [(r.status, r.counts, r.cursor_end) for r in engine.runs(n, 50)] for n in names
            },
            "history": [(c.action, c.before) for c in engine.checkpoint_history("counting")],
            "rejected": [(r.item, r.reason) for r in engine.rejected("mixed")],
            "store_id": store.store_id,
            "generations": {n: store.identity(n).generation for n in names},
        }


def test_migrate_copies_everything_and_the_next_sync_resumes(tmp_path: Path, pg_url: str) -> None:
    deck = tmp_path / "deck"
    make_deck(deck)
    before = snapshot(deck / "knowledge.db", deck / "sync_state.db")
    report = migrate(deck / "knowledge.db", deck / "sync_state.db", pg_url, chunk=700)
    assert (report.documents, report.copied_now, report.resumed) == (
        3_000 + 55 + 2 + 19,
        3_076,
        False,
    )
    after = snapshot(pg_url, pg_url)
    for key in ("ids", "checkpoints", "runs", "history", "rejected", "store_id", "generations"):
        assert after[key] == before[key], key
    assert {k: v for k, v in after["content"].items() if k != "ingested_at"} == {  # type: ignore[union-attr]
        k: v
        for k, v in before["content"].items()
        if k != "ingested_at"  # type: ignore[union-attr]
    }
    with (
        KnowledgeStore(pg_url) as store,
        SyncEngine(IngestionPipeline(store), state_db=pg_url) as engine,
    ):
        events: list[object] = []
        grown = CountingConnector("counting", total=3_100, every=50)
        assert engine.sync(grown, on_event=events.append) == 100
        assert grown.calls[0][1] == "3000"  # the checkpoint still belongs to the store
        assert events[0].notice is None  # type: ignore[attr-defined]
        assert engine.get_checkpoint("counting")["items_synced"] == 3_100
        assert [h.doc_id for h in store.search("word3050")] == ["doc-003050"]
        store.check_index()
    # again: nothing to copy, verified
    again = migrate(deck / "knowledge.db", deck / "sync_state.db", pg_url)
    assert (again.resumed, again.copied_now) == (True, 0)


def test_a_database_holding_something_else_is_refused(tmp_path: Path, pg_url: str) -> None:
    with (
        KnowledgeStore(pg_url) as store,
        SyncEngine(IngestionPipeline(store), state_db=pg_url) as engine,
    ):
        engine.sync(CountingConnector("other", total=5))
    make_deck(tmp_path / "deck", total=50)
    with pytest.raises(MigrationError, match="not empty"):
        migrate(tmp_path / "deck" / "knowledge.db", tmp_path / "deck" / "sync_state.db", pg_url)
    with KnowledgeStore(pg_url) as store:
        assert store.sources() == {"other": 5}  # untouched


def _last_copied(url: str) -> int:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT last_document FROM syncdeck_migration").fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:
        return 0


def test_a_killed_migration_continues_to_an_exact_copy(tmp_path: Path, pg_cluster: Cluster) -> None:
    deck = tmp_path / "deck"
    make_deck(deck, total=6_000)
    before = snapshot(deck / "knowledge.db", deck / "sync_state.db")
    url = pg_cluster.url(pg_cluster.new_database())
    command = [sys.executable, "-m", "syncdeck.cli.main", "--data-dir", str(deck), "migrate",
               "--to", url, "--chunk", "100"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while _last_copied(url) < 1_500 and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    copied = _last_copied(url)
    assert 0 < copied < 6_000
    with KnowledgeStore(url) as partial:
        assert partial.count() == copied  # chunks commit whole, with their marker
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "continued and verified" in second.stdout and PASSWORD not in second.stdout
    assert "deck:***@" in second.stdout
    after = snapshot(url, url)
    for key in ("ids", "checkpoints", "runs", "history", "rejected", "store_id", "generations"):
        assert after[key] == before[key], key
