"""Store identity on PostgreSQL: a checkpoint belongs to one store. With the state in one
database and the store in another, a replaced store or one restored from an older copy
makes the connector start over, as with SQLite files; the same store resumes silently."""

from __future__ import annotations

from core.conftest import CountingConnector
from pg_cluster import Cluster

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine


def run(cluster: Cluster, store_db: str, state_db: str, total: int) -> tuple[list, list]:  # type: ignore[type-arg]
    events: list[object] = []
    connector = CountingConnector(total=total)
    with (
        KnowledgeStore(cluster.url(store_db)) as store,
        SyncEngine(IngestionPipeline(store), state_db=cluster.url(state_db)) as engine,
    ):
        assert not engine.joint  # two databases: two transactions, store first
        engine.sync(connector, on_event=events.append)
        assert engine.get_checkpoint("counting")["items_synced"] == store.count() == total
    return events, connector.calls


def test_a_replaced_or_restored_store_makes_the_connector_start_over(pg_cluster: Cluster) -> None:
    state, store = pg_cluster.new_database(), pg_cluster.new_database()
    run(pg_cluster, store, state, 30)
    backup = f"{store}_backup"
    pg_cluster.admin(f"CREATE DATABASE {backup} TEMPLATE {store}")
    events, calls = run(pg_cluster, store, state, 45)  # the same store: resumed silently
    assert calls[0][1] == "30" and events[0].notice is None  # type: ignore[attr-defined]
    # restored from the older copy: its generation is behind the checkpoint
    pg_cluster.admin(f"DROP DATABASE {store} WITH (FORCE)")
    pg_cluster.admin(f"CREATE DATABASE {store} OWNER deck TEMPLATE {backup}")
    events, calls = run(pg_cluster, store, state, 45)
    assert calls == [(None, None)]
    assert "older than this checkpoint" in (events[0].notice or "")  # type: ignore[attr-defined]
    # replaced by another, empty store
    events, calls = run(pg_cluster, pg_cluster.new_database(), state, 45)
    assert calls == [(None, None)]
    assert "deleted or replaced" in (events[0].notice or "")  # type: ignore[attr-defined]
