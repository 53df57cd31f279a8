"""Each built-in connector run end to end through the engine, store and state DB."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.connectors.demo import DemoConnector, DemoFailure
from syncdeck.connectors.filesystem import FilesystemConnector
from syncdeck.connectors.http import HttpConnector
from syncdeck.connectors.jsonl import JsonlConnector
from syncdeck.connectors.mailbox import MailboxConnector
from syncdeck.connectors.sqlite import SqliteConnector
from syncdeck.core.connector import BaseConnector

from .conftest import SAMPLES, ApiServer, Reply, Seen

Factory = Callable[[Path, ApiServer], BaseConnector]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[SyncEngine, KnowledgeStore]]:
    store = KnowledgeStore(":memory:")
    with SyncEngine(IngestionPipeline(store), state_db=tmp_path / "s.db") as engine:
        yield engine, store
    store.close()


def sqlite_source(tmp_path: Path, api: ApiServer) -> BaseConnector:
    path = tmp_path / "rows.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, content TEXT)")
        conn.executemany(
            "INSERT OR IGNORE INTO rows VALUES (?, ?)", [(n, f"row {n}") for n in range(250)]
        )
    conn.close()
    return SqliteConnector(path, table="rows", page_size=40)


def http_source(tmp_path: Path, api: ApiServer) -> BaseConnector:
    def pages(seen: Seen) -> Reply:
        page = int(seen.query["page"])
        items = [{"id": n, "content": f"item {n}"} for n in range(page * 30, page * 30 + 30)]
        return Reply(body={"items": items if page < 5 else []})

    api.routes["/items"] = pages
    return HttpConnector(api.url + "/items", items_path="items", pagination="page", start_page=0)


CASES: dict[str, tuple[Factory, int]] = {
    "filesystem": (lambda tmp, api: FilesystemConnector(SAMPLES / "notes"), 13),
    "mailbox": (lambda tmp, api: MailboxConnector(SAMPLES / "mail.mbox"), 20),
    "jsonl": (lambda tmp, api: JsonlConnector(SAMPLES / "chat.jsonl"), 200),
    "sqlite": (sqlite_source, 250),
    "http": (http_source, 150),
    "demo": (lambda tmp, api: DemoConnector(count=230, checkpoint_every=25), 230),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_sync_then_resync_through_the_engine(
    kind: str, tmp_path: Path, api: ApiServer, engine: tuple[SyncEngine, KnowledgeStore]
) -> None:
    sync_engine, store = engine
    factory, expected = CASES[kind]
    connector = factory(tmp_path, api)
    connector.connector_id = f"my-{kind}"
    assert sync_engine.sync(connector) == expected
    assert store.count(source=f"my-{kind}") == expected
    checkpoint = sync_engine.get_checkpoint(f"my-{kind}")
    assert checkpoint["items_synced"] == expected
    assert checkpoint["cursor"] is not None
    assert checkpoint["error"] is None
    again = factory(tmp_path, api)
    again.connector_id = f"my-{kind}"
    assert sync_engine.sync(again) == 0  # resumed: nothing new, nothing rewritten
    assert store.count(source=f"my-{kind}") == expected
    assert sync_engine.rejected(f"my-{kind}") == []


def test_the_flaky_demo_fails_once_then_resumes_to_exact_totals(
    engine: tuple[SyncEngine, KnowledgeStore],
) -> None:
    sync_engine, store = engine

    def flaky() -> DemoConnector:
        connector = DemoConnector(count=400, fail_at=150, checkpoint_every=50)
        connector.connector_id = "flaky"
        return connector

    with pytest.raises(DemoFailure, match="document 150"):
        sync_engine.sync(flaky())
    checkpoint = sync_engine.get_checkpoint("flaky")
    assert store.count(source="flaky") == 149
    assert checkpoint["cursor"] == "149"
    assert "document 150" in checkpoint["error"]
    assert sync_engine.sync(flaky()) == 251
    checkpoint = sync_engine.get_checkpoint("flaky")
    assert (checkpoint["items_synced"], checkpoint["error"]) == (400, None)
    assert store.count(source="flaky") == 400
