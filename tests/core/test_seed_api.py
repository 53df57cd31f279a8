"""The original engine's usage must keep working verbatim."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine

from .conftest import CountingConnector


def test_seed_usage_verbatim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    connector = CountingConnector(total=120, every=25)

    store = KnowledgeStore(db_path=":memory:")
    pipeline = IngestionPipeline(store)
    engine = SyncEngine(pipeline)  # state_db="" -> platformdirs user data dir
    items = engine.sync(connector)  # first run
    assert items == 120
    items = engine.sync(connector)  # resumes from the saved cursor
    assert items == 0
    cp = engine.get_checkpoint(connector.connector_id)

    assert set(cp) == {"items_synced", "cursor", "last_sync", "error"}
    assert cp["items_synced"] == 120
    assert cp["cursor"] == "120"
    assert cp["error"] is None
    assert datetime.fromisoformat(cp["last_sync"]).utcoffset().total_seconds() == 0
    assert (tmp_path / "xdg" / "syncdeck" / "sync_state.db").is_file()
    assert connector.calls[1][1] == "120"
    engine.close()


def test_a_connector_that_never_synced_has_no_checkpoint(engine: SyncEngine) -> None:
    """As the original documents: "Return the last checkpoint, or None if never synced"."""
    assert engine.get_checkpoint("nobody") is None
    assert engine.checkpoint("nobody").cursor is None  # the record form is never None


def test_public_names_import() -> None:
    import syncdeck

    for name in syncdeck.__all__:
        assert getattr(syncdeck, name) is not None
