"""The mirror contract: after a successful complete run the store equals the source -
deletions, renames and rewrites applied, guarded against a source that looks emptied."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from syncdeck import (
    BaseConnector,
    Checkpoint,
    Deleted,
    DeletionsHeld,
    IngestionPipeline,
    KnowledgeStore,
    ListingComplete,
    RunFinished,
    RunStarted,
    RunStatus,
    SyncAlreadyRunning,
    SyncEngine,
    Unchanged,
)
from syncdeck.core.connector import NOTHING_STORED

from . import legacy_schemas
from .conftest import CountingConnector
from .mirror_sources import ListedSource, document, items


def stored(store: KnowledgeStore, connector: str = "src") -> dict[str, str]:
    return {doc_id: store.get(connector, doc_id)["content"] for doc_id in store.ids(connector)}


def test_a_complete_listing_deletes_what_the_source_no_longer_has(engine: SyncEngine) -> None:
    source = items(5)
    engine.sync(ListedSource("src", source))
    del source["item-00001"]  # deleted at the source
    source["renamed"] = source.pop("item-00002")  # renamed (moved)
    source["item-00003"] = ("rewritten", "v2")  # edited
    engine.sync(ListedSource("src", source))
    store = engine.pipeline.store
    assert stored(store) == {doc_id: content for doc_id, (content, _) in source.items()}
    run = engine.runs("src")[0]
    assert (run.inserted, run.updated, run.unchanged, run.deleted) == (1, 1, 2, 2)
    assert engine.get_checkpoint("src")["items_synced"] == 4 == store.documents_of("src")
    assert [h.doc_id for h in store.search("rewritten")] == ["item-00003"]
    store.check_index()


def test_unchanged_items_cost_no_read_and_no_write(engine: SyncEngine) -> None:
    engine.sync(ListedSource("src", items(30)))
    again = ListedSource("src", items(30))
    written = engine.sync(again)
    assert (written, again.reads) == (0, 0)
    run = engine.runs("src")[0]
    assert (run.documents, run.unchanged, run.inserted, run.deleted) == (30, 30, 0, 0)


@pytest.mark.parametrize("how", ["fail", "cancel"])
def test_an_interrupted_listing_deletes_nothing(engine: SyncEngine, how: str) -> None:
    source = items(20)
    engine.sync(ListedSource("src", source))
    del source["item-00000"]
    cancel = threading.Event()

    def interrupt(i: int) -> None:
        if i == 15:
            if how == "fail":
                raise ConnectionError("source went away")
            cancel.set()

    if how == "fail":
        with pytest.raises(ConnectionError):
            engine.sync(ListedSource("src", source, on_item=interrupt), cancel=cancel)
    else:
        engine.sync(ListedSource("src", source, on_item=interrupt), cancel=cancel)
    assert "item-00000" in engine.pipeline.store.ids("src")
    assert engine.runs("src")[0].deleted == 0
    engine.sync(ListedSource("src", source))
    assert "item-00000" not in engine.pipeline.store.ids("src")
    assert engine.get_checkpoint("src")["items_synced"] == 19


def test_the_guard_holds_a_mass_deletion_until_applied(engine: SyncEngine) -> None:
    source = items(10)
    engine.sync(ListedSource("src", source))
    for doc_id in list(source)[:6]:  # 60% gone, over the default limit of 50%
        del source[doc_id]
    events: list[object] = []
    with pytest.raises(DeletionsHeld, match="would delete 6 of the 10 documents"):
        engine.sync(ListedSource("src", source), on_event=events.append)
    store = engine.pipeline.store
    assert len(store.ids("src")) == 10  # nothing deleted
    run = engine.runs("src")[0]
    assert (run.status, run.deletes_held, run.deleted) == (RunStatus.FAILED, 6, 0)
    assert "--apply-deletes" in (run.error or "") and run.traceback is None
    assert engine.get_checkpoint("src")["error"].startswith("DeletionsHeld: deletion guard")
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.deletes_held == 6
    engine.sync(ListedSource("src", source), apply_deletes=True)
    assert sorted(store.ids("src")) == sorted(source)
    assert engine.runs("src")[0].deleted == 6
    assert engine.get_checkpoint("src")["error"] is None


def test_a_deletion_within_the_limit_is_applied(engine: SyncEngine) -> None:
    source = items(10)
    engine.sync(ListedSource("src", source))
    for doc_id in list(source)[:4]:
        del source[doc_id]
    engine.sync(ListedSource("src", source))
    assert len(engine.pipeline.store.ids("src")) == 6


def test_an_emptied_source_never_wipes_the_store(engine: SyncEngine) -> None:
    engine.sync(ListedSource("src", items(3)))
    with pytest.raises(DeletionsHeld, match="listed none of the 3 stored documents"):
        engine.sync(ListedSource("src", {}), delete_limit=1.0)
    assert len(engine.pipeline.store.ids("src")) == 3


def test_the_limit_is_set_per_run(engine: SyncEngine) -> None:
    source = items(10)
    engine.sync(ListedSource("src", source))
    for doc_id in list(source)[:2]:
        del source[doc_id]
    with pytest.raises(DeletionsHeld, match="over its delete_limit of 10%"):
        engine.sync(ListedSource("src", source), delete_limit=0.1)
    assert len(engine.pipeline.store.ids("src")) == 10


class Marked(BaseConnector):
    """Yields a scripted list of documents and markers."""

    def __init__(self, script: list[object], *, lists_source: bool = False) -> None:
        self.connector_id = "src"
        self.script = script
        self.lists_source = lists_source

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
        yield from self.script


def test_a_deleted_marker_removes_the_document_with_its_batch(engine: SyncEngine) -> None:
    engine.sync(Marked([document("src", f"d{i}", f"text {i}") for i in range(5)]))
    engine.sync(Marked([Deleted("d1"), Deleted("d3"), Deleted("never-stored"), Checkpoint("x")]))
    store = engine.pipeline.store
    assert sorted(store.ids("src")) == ["d0", "d2", "d4"]
    run = engine.runs("src")[0]
    assert (run.deleted, run.batches, run.cursor_end) == (2, 1, "x")
    assert engine.get_checkpoint("src")["items_synced"] == 3
    assert store.search("text") and all(h.doc_id != "d1" for h in store.search("text"))
    store.check_index()


def test_the_last_word_on_an_id_within_a_batch_wins(engine: SyncEngine) -> None:
    engine.sync(Marked([document("src", "a", "old a"), document("src", "b", "old b")]))
    engine.sync(
        Marked(
            [
                Deleted("a"),
                document("src", "a", "a is back"),  # deleted, then created again
                document("src", "b", "b edited"),
                Deleted("b"),  # edited, then deleted
            ]
        )
    )
    assert stored(engine.pipeline.store) == {"a": "a is back"}


def test_listing_complete_needs_the_connector_to_declare_it(engine: SyncEngine) -> None:
    with pytest.raises(TypeError, match="without declaring lists_source = True"):
        engine.sync(Marked([document("src", "a", "x"), ListingComplete()]))
    assert engine.runs("src")[0].status is RunStatus.FAILED
    assert engine.pipeline.store.ids("src") == ["a"]  # what came before is kept


@pytest.mark.parametrize("marker", [Unchanged(""), Deleted(None)])  # type: ignore[arg-type]
def test_a_marker_without_an_id_fails_clearly(engine: SyncEngine, marker: object) -> None:
    with pytest.raises(TypeError, match=r"needs a non-empty string doc_id, got .* at item 2"):
        engine.sync(Marked([document("src", "a", "x"), marker]))


def test_a_new_version_of_the_same_content_is_unchanged(engine: SyncEngine) -> None:
    engine.sync(Marked([document("src", "a", "same text", "v1")]))
    engine.sync(Marked([document("src", "a", "same text", "v2")]))
    store = engine.pipeline.store
    run = engine.runs("src")[0]
    assert (run.unchanged, run.updated) == (1, 0)
    assert store.versions("src", ["a"]) == {"a": "v2"}
    engine.sync(Marked([document("src", "a", "same text", "v2")]))
    assert engine.runs("src")[0].unchanged == 1
    store.check_index()


def test_the_stored_view_is_bound_for_the_run_only(engine: SyncEngine) -> None:
    seen: list[tuple[int, dict[str, str | None]]] = []

    class Looks(BaseConnector):
        connector_id = "src"

        def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
            seen.append((len(self.stored), self.stored.versions(["a", "zzz"])))
            yield document("src", "a", "x", "v7")

    connector = Looks()
    engine.sync(connector)
    engine.sync(connector)
    assert seen == [(0, {}), (1, {"a": "v7"})]
    assert connector.stored is NOTHING_STORED


def test_a_resync_of_the_same_documents_leaves_items_synced_exact(engine: SyncEngine) -> None:
    """A rewritten source re-delivers everything: the count is of documents, not deliveries."""
    engine.sync(CountingConnector(total=40))
    engine.reset_checkpoint("counting")
    engine.sync(CountingConnector(total=40))
    assert engine.get_checkpoint("counting")["items_synced"] == 40


# -- store identity --------------------------------------------------------------------


def _engine(tmp_path: Path, store_name: str = "knowledge.db") -> SyncEngine:
    store = KnowledgeStore(tmp_path / store_name)
    return SyncEngine(IngestionPipeline(store), state_db=tmp_path / "state.db")


def _close(engine: SyncEngine) -> None:
    engine.close()
    engine.pipeline.store.close()


def _resume(tmp_path: Path, store_name: str = "knowledge.db") -> tuple[list[object], list]:
    engine = _engine(tmp_path, store_name)
    events: list[object] = []
    connector = CountingConnector(total=60)
    try:
        engine.sync(connector, on_event=events.append)
        assert engine.pipeline.store.count("counting") == 60
        assert engine.get_checkpoint("counting")["items_synced"] == 60
    finally:
        _close(engine)
    return events, connector.calls


def test_a_deleted_store_makes_the_connector_start_over(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    engine.sync(CountingConnector(total=40))
    _close(engine)
    for path in tmp_path.glob("knowledge.db*"):
        path.unlink()
    events, calls = _resume(tmp_path)
    assert calls == [(None, None)]  # no cursor, no since: from the beginning
    started = events[0]
    assert isinstance(started, RunStarted) and "deleted or replaced" in (started.notice or "")


def test_a_store_replaced_by_another_makes_the_connector_start_over(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    engine.sync(CountingConnector(total=40))
    _close(engine)
    with KnowledgeStore(tmp_path / "other.db"):  # another, empty syncdeck store
        pass
    _, calls = _resume(tmp_path, "other.db")
    assert calls == [(None, None)]
    engine = _engine(tmp_path, "other.db")
    try:
        assert "deleted or replaced" in (engine.runs("counting")[0].notice or "")
    finally:
        _close(engine)


def test_a_store_restored_from_an_older_copy_makes_the_connector_start_over(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    engine.sync(CountingConnector(total=30))
    backup = sqlite3.connect(tmp_path / "backup.db")
    with sqlite3.connect(tmp_path / "knowledge.db") as live:
        live.backup(backup)
    backup.close()
    engine.sync(CountingConnector(total=45))  # the store moves on past the copy
    _close(engine)
    for path in tmp_path.glob("knowledge.db*"):
        path.unlink()
    shutil.copy(tmp_path / "backup.db", tmp_path / "knowledge.db")
    events, calls = _resume(tmp_path)
    assert calls == [(None, None)]
    assert "older than this checkpoint" in (events[0].notice or "")  # type: ignore[attr-defined]


def test_the_same_store_resumes_without_a_word(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    engine.sync(CountingConnector(total=40))
    _close(engine)
    events, calls = _resume(tmp_path)
    assert calls[0][1] == "40" and events[0].notice is None  # type: ignore[attr-defined]


def test_forget_removes_documents_and_state(engine: SyncEngine) -> None:
    engine.sync(ListedSource("src", items(5)))
    engine.sync(CountingConnector(total=7))
    assert engine.forget("src") == 5
    store = engine.pipeline.store
    assert (store.ids("src"), store.documents_of("src")) == ([], 0)
    assert engine.runs("src") == [] and "src" not in engine.states()
    assert store.count("counting") == 7  # other connectors are untouched
    engine.sync(ListedSource("src", items(5)))  # and it can start again from nothing
    assert engine.runs("src")[0].inserted == 5


def test_forget_is_refused_while_the_connector_runs(engine: SyncEngine) -> None:
    gate, reached = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=engine.sync,
        args=(CountingConnector(total=20, gate=gate, gate_at=5, reached=reached),),
    )
    thread.start()
    try:
        assert reached.wait(5)
        with pytest.raises(SyncAlreadyRunning):
            engine.forget("counting")
    finally:
        gate.set()
        thread.join(5)
    assert engine.pipeline.store.count("counting") == 20


def test_a_checkpoint_from_before_store_identity_is_trusted_unless_the_store_is_empty(
    tmp_path: Path,
) -> None:
    """A state file of syncdeck 0.1 has no store identity: it is upgraded in place, and
    resumed unless the store plainly holds none of what its checkpoint counts."""
    conn = legacy_schemas.create(tmp_path / "state.db", legacy_schemas.STATE_V1, 1)
    conn.execute(
        "INSERT INTO sync_state (connector_id, items_synced, cursor, last_sync) "
        "VALUES ('counting', 40, '40', '2024-05-01T00:00:00+00:00'), "
        "('other', 7, '7', NULL)"
    )
    conn.close()
    with KnowledgeStore(tmp_path / "knowledge.db") as store:
        IngestionPipeline(store).ingest([document("other", f"o{i}", "kept") for i in range(7)])
    engine = _engine(tmp_path)
    try:
        counting, other = CountingConnector(total=40), CountingConnector("other", total=7)
        engine.sync(counting)
        engine.sync(other)
        assert counting.calls[0][1] is None  # nothing of it in the store: from the start
        assert other.calls[0][1] == "7"  # its documents are there: resumed
        assert engine.get_checkpoint("counting")["items_synced"] == 40
    finally:
        _close(engine)


def test_ids_and_cursors_with_undecodable_bytes_round_trip(engine: SyncEngine) -> None:
    """No id or cursor can make a commit fail, and each comes back exactly as yielded."""
    odd = b"notes/caf\xe9.md".decode("utf-8", "surrogateescape")
    cursor = "\ud800 at " + odd
    connector = ListedSource("src", {odd: ("text", "v1"), "plain": ("other", "v1")})
    script = [document("src", odd, "one"), Checkpoint(cursor), Deleted("x\udcff")]
    engine.sync(Marked(script))
    assert engine.get_checkpoint("src")["cursor"] == cursor
    assert engine.runs("src")[0].cursor_end == cursor
    assert odd in engine.pipeline.store.ids("src")
    engine.sync(connector)  # a listing over the same odd id: kept, nothing deleted twice
    assert sorted(engine.pipeline.store.ids("src")) == sorted([odd, "plain"])
    engine.sync(connector)
    assert connector.reads == 2  # the second listing found both unchanged by version
    engine.set_cursor("src", cursor)
    assert engine.get_checkpoint("src")["cursor"] == cursor
    assert engine.undo_checkpoint("src")["cursor"] == cursor
