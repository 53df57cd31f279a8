"""The sync contract of docs/architecture.md, one behaviour per test."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from syncdeck import (
    BatchCommitted,
    Checkpoint,
    Document,
    DocumentRejected,
    IngestionPipeline,
    KnowledgeStore,
    NothingToUndo,
    RunFinished,
    RunStarted,
    RunStatus,
    SyncAlreadyRunning,
    SyncEngine,
)

from .conftest import BASE_TIME, CountingConnector, make_doc


def test_cursor_advances_across_runs(engine: SyncEngine) -> None:
    first = CountingConnector(total=95, every=10)
    assert engine.sync(first) == 95
    assert engine.get_checkpoint("counting")["cursor"] == "95"
    grown = CountingConnector(total=130, every=10)
    assert engine.sync(grown) == 35
    assert grown.calls == [(grown.calls[0][0], "95")]
    cp = engine.get_checkpoint("counting")
    assert cp["cursor"] == "130"
    assert cp["items_synced"] == 130
    assert engine.pipeline.store.count("counting") == 130


def test_since_is_start_of_last_successful_run_and_aware(engine: SyncEngine) -> None:
    connector = CountingConnector(total=5)
    engine.sync(connector)
    run = engine.runs("counting")[0]
    engine.sync(connector)
    since = connector.calls[1][0]
    assert isinstance(since, datetime)
    assert since.utcoffset().total_seconds() == 0
    assert since == run.started_at
    assert since < BASE_TIME.replace(year=3000)  # comparable with aware datetimes


def test_error_keeps_documents_records_error_then_resume_clears_it(engine: SyncEngine) -> None:
    broken = CountingConnector(total=300, every=10, fail_at=157)
    with pytest.raises(RuntimeError, match="source broke at 157"):
        engine.sync(broken)
    store = engine.pipeline.store
    assert store.count("counting") == 157  # the partial batch was stored, not dropped
    cp = engine.get_checkpoint("counting")
    assert cp["cursor"] == "150"
    assert cp["items_synced"] == 157  # the connector's documents in the store
    assert cp["error"] == "RuntimeError: source broke at 157"
    assert cp["last_sync"] is None  # a failed run never moves since
    run = engine.runs("counting")[0]
    assert run.status is RunStatus.FAILED
    assert "source broke at 157" in run.traceback and "Traceback" in run.traceback

    fixed = CountingConnector(total=300, every=10)
    written = engine.sync(fixed)
    assert fixed.calls[0] == (None, "150")
    assert written == 143  # 150..156 were re-delivered unchanged
    cp = engine.get_checkpoint("counting")
    assert cp == {**cp, "items_synced": 300, "cursor": "300", "error": None}
    assert cp["last_sync"] is not None
    assert store.count("counting") == 300


def test_failed_run_does_not_move_since(engine: SyncEngine) -> None:
    engine.sync(CountingConnector(total=20))
    since_before = engine.get_checkpoint("counting")["last_sync"]
    with pytest.raises(RuntimeError):
        engine.sync(CountingConnector(total=40, fail_at=25))
    assert engine.get_checkpoint("counting")["last_sync"] == since_before


def test_cancel_stores_what_it_holds_and_returns(engine: SyncEngine) -> None:
    gate, reached, cancel = threading.Event(), threading.Event(), threading.Event()
    connector = CountingConnector(total=1000, every=10, gate=gate, gate_at=234, reached=reached)
    result: dict[str, object] = {}
    events: list[object] = []

    def run() -> None:
        result["written"] = engine.sync(connector, cancel=cancel, on_event=events.append)

    thread = threading.Thread(target=run)
    thread.start()
    assert reached.wait(5)
    cancel.set()
    gate.set()
    thread.join(5)
    assert not thread.is_alive()
    # the connector yields document 234 after the gate, then the cancel is seen
    assert result["written"] == 235
    assert engine.pipeline.store.count("counting") == 235
    cp = engine.get_checkpoint("counting")
    assert cp["cursor"] == "230"
    assert cp["items_synced"] == 235  # what the store holds, past the cursor included
    assert cp["last_sync"] is None
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status is RunStatus.CANCELLED
    assert engine.runs("counting")[0].status is RunStatus.CANCELLED
    engine.sync(CountingConnector(total=1000, every=10))
    assert engine.get_checkpoint("counting")["items_synced"] == 1000


def test_edited_document_is_reingested(engine: SyncEngine) -> None:
    engine.sync(CountingConnector(total=30))
    engine.reset_checkpoint("counting")
    written = engine.sync(CountingConnector(total=30, texts={7: "a brand new okapi sighting"}))
    assert written == 1
    hits = engine.pipeline.store.search("okapi")
    assert [h.doc_id for h in hits] == ["doc-000007"]
    last = engine.runs("counting")[0]
    assert (last.inserted, last.updated, last.unchanged) == (0, 1, 29)


def test_events_report_batches_and_totals(engine: SyncEngine) -> None:
    events: list[object] = []
    engine.sync(CountingConnector(total=250, every=10), on_event=events.append)
    assert isinstance(events[0], RunStarted)
    batches = [e for e in events if isinstance(e, BatchCommitted)]
    assert [b.size for b in batches] == [100, 100, 50]
    assert [b.cursor for b in batches] == ["100", "200", "250"]
    assert [b.items_synced for b in batches] == [100, 200, 250]
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert (finished.status, finished.documents, finished.inserted, finished.batches) == (
        RunStatus.SUCCEEDED,
        250,
        250,
        3,
    )


def test_subscribe_and_unsubscribe(engine: SyncEngine) -> None:
    seen: list[object] = []
    unsubscribe = engine.subscribe(seen.append)
    engine.sync(CountingConnector(total=3))
    count = len(seen)
    assert count >= 3
    unsubscribe()
    engine.sync(CountingConnector(total=6))
    assert len(seen) == count


def test_broken_listener_does_not_break_the_sync(engine: SyncEngine) -> None:
    def explode(event: object) -> None:
        raise ValueError("listener bug")

    assert engine.sync(CountingConnector(total=12), on_event=explode) == 12


class Mixed(CountingConnector):
    def sync(self, *, since, cursor):  # type: ignore[no-untyped-def]
        yield make_doc("mixed", 1)
        yield Document("", "mixed", "note", "no id")
        yield {"doc_id": 5}
        yield make_doc("mixed", 2)
        yield Checkpoint("end")


def test_rejected_documents_are_quarantined_and_counted(engine: SyncEngine) -> None:
    events: list[object] = []
    connector = Mixed("mixed")
    assert engine.sync(connector, on_event=events.append) == 2
    rejected = engine.rejected("mixed")
    assert sorted(r.reason for r in rejected)[0].startswith("doc_id must not be empty")
    assert {r.item for r in rejected} == {2, 3}
    assert all(r.payload for r in rejected)
    assert [e.item for e in events if isinstance(e, DocumentRejected)] == [2, 3]
    run = engine.runs("mixed")[0]
    assert (run.documents, run.inserted, run.rejected) == (4, 2, 2)
    assert engine.get_checkpoint("mixed")["items_synced"] == 2
    engine.reset_checkpoint("mixed")
    engine.sync(Mixed("mixed"))
    assert len(engine.rejected("mixed")) == 2  # re-delivery does not duplicate the quarantine


def test_reset_set_cursor_and_undo(engine: SyncEngine) -> None:
    engine.sync(CountingConnector(total=40))
    before = engine.get_checkpoint("counting")
    engine.reset_checkpoint("counting")
    assert engine.get_checkpoint("counting") == {
        "items_synced": 40,  # a reset keeps the stored documents, and counts them
        "cursor": None,
        "last_sync": None,
        "error": None,
    }
    assert engine.undo_checkpoint("counting") == before
    engine.set_cursor("counting", "25")
    assert engine.get_checkpoint("counting")["cursor"] == "25"
    connector = CountingConnector(total=40)
    engine.sync(connector)
    assert connector.calls[0][1] == "25"
    assert engine.undo_checkpoint("counting")["cursor"] == "40"
    with pytest.raises(NothingToUndo):
        engine.undo_checkpoint("counting")


def test_same_connector_twice_in_one_process_is_refused(engine: SyncEngine) -> None:
    gate, reached = threading.Event(), threading.Event()
    holder = CountingConnector(total=50, gate=gate, gate_at=5, reached=reached)
    thread = threading.Thread(target=engine.sync, args=(holder,))
    thread.start()
    try:
        assert reached.wait(5)
        with pytest.raises(SyncAlreadyRunning) as info:
            engine.sync(CountingConnector(total=50))
        assert info.value.run_id == engine.runs("counting")[0].run_id
        with pytest.raises(SyncAlreadyRunning):
            engine.reset_checkpoint("counting")
        state = engine.states()["counting"]
        assert state.active is not None and state.active.run_id == info.value.run_id
    finally:
        gate.set()
        thread.join(5)
    assert engine.states()["counting"].active is None


def test_four_connectors_sync_at_once_from_threads(tmp_path: Path) -> None:
    store = KnowledgeStore(tmp_path / "k.db")
    engine = SyncEngine(IngestionPipeline(store), state_db=tmp_path / "s.db", batch_size=50)
    errors: list[BaseException] = []

    def run(name: str, total: int) -> None:
        try:
            engine.sync(CountingConnector(name, total=total, every=7))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    totals = {"alpha": 1200, "beta": 900, "gamma": 1500, "delta": 700}
    threads = [threading.Thread(target=run, args=item) for item in totals.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    for name, total in totals.items():
        cp = engine.get_checkpoint(name)
        assert (cp["items_synced"], cp["cursor"]) == (total, str(total))
        assert store.count(name) == total
    store.check_index()
    engine.close()
    store.close()


def test_connector_without_checkpoints_is_covered_at_the_end(engine: SyncEngine) -> None:
    class Plain(CountingConnector):
        def sync(self, *, since, cursor):  # type: ignore[no-untyped-def]
            self.calls.append((since, cursor))
            for i in range(130):
                yield make_doc("plain", i)

    connector = Plain("plain")
    engine.sync(connector)
    cp = engine.get_checkpoint("plain")
    assert (cp["items_synced"], cp["cursor"]) == (130, None)  # the engine never invents one
    engine.sync(connector)
    assert connector.calls[1][0] is not None


def test_non_string_cursor_fails_the_run_clearly(engine: SyncEngine) -> None:
    class BadCursor(CountingConnector):
        def sync(self, *, since, cursor):  # type: ignore[no-untyped-def]
            yield make_doc("bad", 1)
            yield Checkpoint(42)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="cursor must be a string"):
        engine.sync(BadCursor("bad"))
    assert engine.pipeline.store.count("bad") == 1
    assert "cursor must be a string" in engine.get_checkpoint("bad")["error"]


class Unidentified(CountingConnector):
    """Rejects with no id: a document with no id (timestamp: now) and a stray object."""

    def sync(self, *, since, cursor):  # type: ignore[no-untyped-def]
        yield Document(None, "unid", "note", "no id, stamped now")  # type: ignore[arg-type]
        yield object()
        yield make_doc("unid", 1)


def test_an_item_quarantined_again_is_one_entry(engine: SyncEngine) -> None:
    for _ in range(3):
        engine.sync(Unidentified("unid"))
        engine.reset_checkpoint("unid")
    rejected = engine.rejected("unid")
    assert len(rejected) == 2, [r.payload for r in rejected]
    assert max(r.run_id for r in rejected) == engine.runs("unid")[0].run_id  # the latest run


class Exits(CountingConnector):
    """Yields some documents, then raises what it is given (SystemExit, a BaseException)."""

    def __init__(self, error: BaseException, **kw: object) -> None:
        super().__init__("exits", **kw)  # type: ignore[arg-type]
        self.error = error

    def sync(self, *, since, cursor):  # type: ignore[no-untyped-def]
        for i in range(25):
            yield make_doc("exits", i)
            if i == 19:
                yield Checkpoint("20")
        raise self.error


class Stop(BaseException):
    """Neither an Exception nor an interrupt."""


@pytest.mark.parametrize("error", [SystemExit(3), Stop("stop right there")])
def test_a_base_exception_keeps_documents_records_and_releases(
    engine: SyncEngine, error: BaseException
) -> None:
    with pytest.raises(type(error)):
        engine.sync(Exits(error))
    assert engine.pipeline.store.count("exits") == 25  # everything before it is kept
    run = engine.runs("exits")[0]
    assert run.status is RunStatus.FAILED
    assert (run.error or "").startswith(type(error).__name__)
    cp = engine.get_checkpoint("exits")
    assert cp["cursor"] == "20" and cp["error"] == run.error
    engine.sync(CountingConnector("exits", total=3))  # the lease is free again
    assert engine.runs("exits")[0].status is RunStatus.SUCCEEDED
