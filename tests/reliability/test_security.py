"""Private files, and secrets kept out of the state DB and every event."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from syncdeck import IngestionPipeline, KnowledgeStore, RunFinished, SyncEngine

from .conftest import Scripted, source_docs

TOKEN = "sk-live-9f8e7d6c5b4a"


def test_databases_and_folders_are_private(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "data"
    with (
        KnowledgeStore(data / "knowledge.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=data / "sync_state.db") as engine,
    ):
        engine.sync(Scripted("p", source_docs("p", 10), {10}))
        for name in ("knowledge.db", "sync_state.db", "knowledge.db-wal", "sync_state.db-wal"):
            path = data / name
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert stat.S_IMODE(data.parent.stat().st_mode) == 0o700


def test_secret_values_never_reach_state_or_events(tmp_path: Path) -> None:
    def leak(i: int) -> None:
        if i == 5:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            raise PermissionError(f"401 from https://api.example/items with {headers}")

    connector = Scripted("api", source_docs("api", 10), {3, 10}, leak)
    connector.secret_values = (TOKEN,)
    events: list[object] = []
    state = tmp_path / "s.db"
    with (
        KnowledgeStore(tmp_path / "k.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=state) as engine,
    ):
        with pytest.raises(PermissionError):
            engine.sync(connector, on_event=events.append)
        cp = engine.get_checkpoint("api")
        run = engine.runs("api")[0]
        assert "Bearer ***" in cp["error"]
        assert TOKEN not in cp["error"]
        assert TOKEN not in (run.traceback or "") and "Bearer ***" in (run.traceback or "")
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert TOKEN not in (finished.error or "") + (finished.traceback or "")
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path.name
