"""A connector that blocks forever: the process can still exit, and the run is then
recorded as cancelled instead of staying "running"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from syncdeck import IngestionPipeline, KnowledgeStore, RunStatus, SyncEngine

SCRIPT = """
import sys, threading, time
from syncdeck import (BaseConnector, Checkpoint, Document, IngestionPipeline, KnowledgeStore,
                      SyncEngine)

class Hangs(BaseConnector):
    connector_id = "hangs"
    def sync(self, *, since, cursor):
        for i in range(150):
            yield Document(f"d{i}", "hangs", "note", f"text {i}")
        yield Checkpoint("150")
        blocked.set()
        threading.Event().wait()  # blocked on a socket that never answers

blocked = threading.Event()
engine = SyncEngine(IngestionPipeline(KnowledgeStore(sys.argv[1])), state_db=sys.argv[2])
cancel = threading.Event()
worker = threading.Thread(target=engine.sync, args=(Hangs(),), kwargs={"cancel": cancel},
                          daemon=True)
worker.start()
assert blocked.wait(10)
cancel.set()
worker.join(0.2)  # a front end waits briefly, then gets on with exiting
print("exiting", worker.is_alive(), flush=True)
"""


def test_blocked_connector_does_not_hold_the_process(tmp_path: Path) -> None:
    store, state = tmp_path / "k.db", tmp_path / "s.db"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(store), str(state)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exiting True"
    with (
        KnowledgeStore(store) as ks,
        SyncEngine(IngestionPipeline(ks), state_db=state) as engine,
    ):
        run = engine.runs("hangs")[0]
        assert run.status is RunStatus.CANCELLED
        assert "still blocked" in (run.error or "")
        assert engine.get_checkpoint("hangs") == {
            **engine.get_checkpoint("hangs"),
            "items_synced": 150,  # what it held was stored and checkpointed at exit
            "cursor": "150",
        }
        assert ks.count() == 150
        assert engine.states()["hangs"].active is None


def test_closing_the_engine_closes_a_blocked_run(tmp_path: Path) -> None:
    """A front end that closes its engine while a connector is blocked (the UI quitting)
    gets the run recorded as cancelled, with what it held stored and checkpointed."""
    import threading

    from syncdeck import BaseConnector, Checkpoint, Document

    blocked, never = threading.Event(), threading.Event()

    class Hangs(BaseConnector):
        connector_id = "hangs"

        def sync(self, *, since, cursor):  # type: ignore[no-untyped-def]
            for i in range(42):
                yield Document(f"d{i}", "hangs", "note", f"text {i}")
            yield Checkpoint("42")
            blocked.set()
            never.wait()

    store = KnowledgeStore(tmp_path / "k.db")
    engine = SyncEngine(IngestionPipeline(store), state_db=tmp_path / "s.db")
    cancel = threading.Event()
    worker = threading.Thread(
        target=engine.sync, args=(Hangs(),), kwargs={"cancel": cancel}, daemon=True
    )
    worker.start()
    assert blocked.wait(10)
    cancel.set()
    engine.close()
    store.close()
    with (
        KnowledgeStore(tmp_path / "k.db") as ks,
        SyncEngine(IngestionPipeline(ks), state_db=tmp_path / "s.db") as reopened,
    ):
        run = reopened.runs("hangs")[0]
        assert run.status is RunStatus.CANCELLED
        assert reopened.get_checkpoint("hangs")["items_synced"] == 42
        assert ks.count() == 42
    assert worker.is_alive()  # still blocked in the connector, and harmless
