"""Eight connectors on one engine from threads, while another process polls the state DB."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine

from .conftest import Scripted, source_docs

READER = """
import sqlite3, sys, time
path, stop = sys.argv[1], sys.argv[2]
reads = errors = 0
import os
while not os.path.exists(stop):
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        conn.execute("SELECT connector_id, items_synced, cursor FROM sync_state").fetchall()
        conn.execute("SELECT run_id, status, documents FROM sync_runs").fetchall()
        conn.close()
        reads += 1
    except sqlite3.Error as exc:
        errors += 1
        print("ERROR", exc, flush=True)
    time.sleep(0.001)
print("reads", reads, "errors", errors, flush=True)
"""


def test_eight_connectors_with_a_polling_reader(tmp_path: Path) -> None:
    state, stop = tmp_path / "s.db", tmp_path / "stop"
    store = KnowledgeStore(tmp_path / "k.db")
    engine = SyncEngine(IngestionPipeline(store), state_db=state, batch_size=50)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(state), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    totals = {f"c{i}": 600 + 137 * i for i in range(8)}
    errors: list[BaseException] = []

    def run(name: str, total: int) -> None:
        try:
            engine.sync(Scripted(name, source_docs(name, total), set(range(7, total + 1, 7))))
        except BaseException as exc:  # pragma: no cover - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in totals.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stop.touch()
    out, _ = reader.communicate(timeout=30)
    assert errors == []
    assert "ERROR" not in out, out
    reads = int(out.split("reads ")[1].split()[0])
    assert reads > 10
    for name, total in totals.items():
        cp = engine.get_checkpoint(name)
        assert cp["items_synced"] == total
        assert store.count(name) == total
        run = engine.runs(name)[0]
        assert (run.documents, run.inserted) == (total, total)
    store.check_index()
    engine.close()
    store.close()
