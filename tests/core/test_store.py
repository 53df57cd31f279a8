"""KnowledgeStore: upsert by (source, doc_id) with a content hash, FTS kept in step."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from syncdeck import Document, IngestionPipeline, KnowledgeStore
from syncdeck.core.errors import DatabaseLockedError
from syncdeck.core.pipeline import prepare
from syncdeck.core.store import SCHEMA_VERSION, _lookup_sql

from . import legacy_schemas
from .conftest import make_doc


def test_insert_update_unchanged_counts(store: KnowledgeStore) -> None:
    pipeline = IngestionPipeline(store)
    first = pipeline.ingest_batch([make_doc("a", i) for i in range(5)])
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    again = pipeline.ingest_batch([make_doc("a", i) for i in range(5)])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    edited = pipeline.ingest_batch([make_doc("a", 1, text="rewritten platypus"), make_doc("a", 9)])
    assert (edited.inserted, edited.updated, edited.unchanged) == (1, 1, 0)
    assert store.count() == 6
    assert store.get("a", "doc-000001")["content"] == "rewritten platypus"


def test_edited_document_searchable_by_new_text_only(store: KnowledgeStore) -> None:
    pipeline = IngestionPipeline(store)
    pipeline.ingest([make_doc("a", 1, text="the old walrus text")])
    assert [h.doc_id for h in store.search("walrus")] == ["doc-000001"]
    pipeline.ingest([make_doc("a", 1, text="the new narwhal text")])
    assert store.search("walrus") == []
    hits = store.search("narwhal")
    assert [h.doc_id for h in hits] == ["doc-000001"]
    assert "[narwhal]" in hits[0].snippet
    store.check_index()


def test_same_id_in_two_sources_are_two_documents(store: KnowledgeStore) -> None:
    pipeline = IngestionPipeline(store)
    pipeline.ingest([make_doc("a", 1, text="alpha"), make_doc("b", 1, text="beta")])
    assert store.count() == 2
    assert store.count("a") == 1
    assert [h.source for h in store.search("beta")] == ["b"]
    assert [h.source for h in store.search("alpha OR beta", source="a")] == ["a"]


def test_digests_name_each_document_of_a_connector_by_its_content(
    store: KnowledgeStore,
) -> None:
    rows = [prepare(make_doc("a", i)) for i in range(3)]
    store.write(rows, connector="mine")
    store.write([prepare(make_doc("b", 1))], connector="other")
    assert store.digests("mine") == {(r.source, r.doc_id): r.content_hash for r in rows}
    store.write([prepare(make_doc("a", 1, text="edited"))], connector="mine")
    edited = store.digests("mine")
    assert edited[("a", "doc-000001")] != rows[1].content_hash
    assert edited[("a", "doc-000002")] == rows[2].content_hash
    assert store.digests("nobody") == {}


def test_duplicate_ids_in_one_batch_keep_the_last(store: KnowledgeStore) -> None:
    pipeline = IngestionPipeline(store)
    result = pipeline.ingest_batch(
        [make_doc("a", 1, text="first"), make_doc("a", 1, text="second")]
    )
    assert (result.inserted, result.updated) == (1, 1)
    assert store.get("a", "doc-000001")["content"] == "second"
    assert store.count() == 1


def test_search_ranks_title_matches_first_and_tolerates_syntax(store: KnowledgeStore) -> None:
    pipeline = IngestionPipeline(store)
    a = make_doc("s", 1, text="mentions kiwi once in the body")
    b = make_doc("s", 2, text="nothing here")
    b.title = "kiwi"
    pipeline.ingest([a, b])
    assert [h.doc_id for h in store.search("kiwi")] == ["doc-000002", "doc-000001"]
    assert store.search('kiwi-"unbalanced') == []  # not FTS syntax: searched as words
    assert store.search("   ") == []


def test_delete_source(store: KnowledgeStore) -> None:
    pipeline = IngestionPipeline(store)
    pipeline.ingest([make_doc("a", i) for i in range(3)] + [make_doc("b", 1)])
    assert store.delete_source("a") == 3
    assert store.sources() == {"b": 1}
    assert store.search("document") != []
    store.check_index()


def test_file_store_is_private_wal_and_durable(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "k.db"
    with KnowledgeStore(path) as store:
        IngestionPipeline(store).ingest([make_doc("a", 1)])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    conn.close()
    with KnowledgeStore(path) as reopened:
        assert reopened.count() == 1


def test_batch_is_one_transaction(store: KnowledgeStore) -> None:
    """A failing row rolls back the whole batch: nothing half-written."""
    pipeline = IngestionPipeline(store)
    rows = [pipeline.prepare(make_doc("a", i)) for i in range(3)]
    broken = (*rows[2][:11], None)  # content_hash NOT NULL violated
    try:
        store.write([rows[0], rows[1], broken])  # type: ignore[list-item]
    except Exception:
        pass
    else:  # pragma: no cover - the constraint must fire
        raise AssertionError("expected the batch to fail")
    assert store.count() == 0


def test_unchanged_batch_needs_no_write_lock(tmp_path: Path) -> None:
    """A re-sync of unchanged data only reads: another writer holding the lock does not
    stall it, while a batch with a change waits for the lock (and says so)."""
    path = tmp_path / "k.db"
    store = KnowledgeStore(path, lock_timeout=0.2)
    pipeline = IngestionPipeline(store)
    docs = [make_doc("a", i) for i in range(3)]
    assert pipeline.ingest_batch(docs).inserted == 3
    assert pipeline.ingest_batch(docs).unchanged == 3  # after writes: checked under the lock
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert pipeline.ingest_batch(docs).unchanged == 3
        with pytest.raises(DatabaseLockedError, match="locked"):
            pipeline.ingest_batch([*docs[:2], make_doc("a", 2, text="edited")])
    finally:
        other.execute("ROLLBACK")
        other.close()
    edited = pipeline.ingest_batch([*docs[:2], make_doc("a", 2, text="edited")])
    assert (edited.unchanged, edited.updated) == (2, 1)
    assert store.get("a", "doc-000002")["content"] == "edited"
    store.close()


def test_unchanged_check_reads_only_the_hash_index(sqlite_store: KnowledgeStore) -> None:
    """Deciding "unchanged" must not read the documents themselves (~1 KB each)."""
    plan = sqlite_store._conn.execute("EXPLAIN QUERY PLAN " + _lookup_sql(2), ("a", "x", "y"))
    assert "COVERING INDEX documents_hash" in plan.fetchall()[0][3]


def _legacy_store(path: Path, version: int, docs: list[Document]) -> None:
    """A store file as syncdeck 0.1 (schema 2, or 1 without the hash index) left it."""
    conn = legacy_schemas.create(path, legacy_schemas.STORE_V2, version)
    if version < 2:
        conn.execute("DROP INDEX documents_hash")
    for doc in docs:
        row = prepare(doc)
        conn.execute(
            "INSERT INTO documents (source, doc_id, doc_type, title, content, author, "
            "participants, timestamp, thread_id, url, metadata, content_hash) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (*row[:7], row.timestamp.isoformat(), *row[8:12]),
        )
    conn.close()


@pytest.mark.parametrize("version", [1, 2])
def test_older_store_is_upgraded_in_place(tmp_path: Path, version: int) -> None:
    path = tmp_path / "k.db"
    _legacy_store(path, version, [make_doc("a", 1), make_doc("b", 2)])
    with KnowledgeStore(path) as store:
        assert store.count() == 2
        names = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master")}
        assert {"documents_hash", "documents_connector", "connectors"} <= names
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # each document now belongs to the connector named like its source, and is counted
        assert (store.documents_of("a"), store.documents_of("b")) == (1, 1)
        store.check_index()
        assert sorted(h.doc_id for h in store.search("document")) == ["doc-000001", "doc-000002"]
        assert IngestionPipeline(store).ingest_batch([make_doc("a", 1)]).unchanged == 1
