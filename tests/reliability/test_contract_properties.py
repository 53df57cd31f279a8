"""Property-based: random streams, checkpoint positions, failures, cancels and resumes.

Invariant: after the final successful run the store equals the source and
``items_synced`` equals the documents covered; after every interrupted run the
checkpoint covers exactly what it counts, all of it stored."""

from __future__ import annotations

import threading

from conftest import Backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdeck import IngestionPipeline, KnowledgeStore, RunStatus, SyncEngine

from .conftest import Scripted, source_docs

Interruption = tuple[str, int]  # ("fail" | "cancel", index)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, set[int], list[Interruption], int]:
    n = draw(st.integers(min_value=0, max_value=120))
    marks = draw(st.sets(st.integers(min_value=1, max_value=max(1, n)), max_size=30))
    interruptions = draw(
        st.lists(
            st.tuples(st.sampled_from(["fail", "cancel"]), st.integers(0, max(0, n - 1))),
            max_size=6,
        )
    )
    batch = draw(st.integers(min_value=1, max_value=40))
    return n, marks, interruptions, batch


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scenarios())
def test_store_equals_source_after_any_interruptions(
    backend: Backend,
    scenario: tuple[int, set[int], list[Interruption], int],
) -> None:
    n, marks, interruptions, batch = scenario
    marks = {*marks, n}  # a well-behaved connector ends with a checkpoint
    docs = source_docs("p", n)
    store_location, state_location = backend.fresh()
    store = KnowledgeStore(store_location)
    engine = SyncEngine(IngestionPipeline(store), state_db=state_location, batch_size=batch)
    try:
        for kind, index in interruptions:
            cancel = threading.Event()

            def hook(i: int, kind: str = kind, index: int = index, cancel=cancel) -> None:  # type: ignore[no-untyped-def]
                if i == index:
                    if kind == "fail":
                        raise RuntimeError(f"boom at {i}")
                    cancel.set()

            try:
                engine.sync(Scripted("p", docs, marks, hook), cancel=cancel)
            except RuntimeError as exc:
                assert str(exc).startswith("boom at")
            cp = engine.get_checkpoint("p")
            # items_synced is the store's count of the connector's documents, and the
            # cursor covers only stored documents
            assert cp["items_synced"] == store.count("p") >= int(cp["cursor"] or 0)
            stored = {d["doc_id"] for d in _all(store)}
            assert {d.doc_id for d in docs[: int(cp["cursor"] or 0)]} <= stored
            assert engine.runs("p")[0].status is not RunStatus.RUNNING
        engine.sync(Scripted("p", docs, marks))
        cp = engine.get_checkpoint("p")
        assert cp["items_synced"] == n
        assert cp["error"] is None
        assert cp["cursor"] == (str(n) if n else None)
        assert sorted(d["doc_id"] for d in _all(store)) == [d.doc_id for d in docs]
        assert all(d["content"] == docs[int(d["doc_id"][2:])].content for d in _all(store))
        store.check_index()
    finally:
        engine.close()
        store.close()


def _all(store: KnowledgeStore) -> list[dict[str, str]]:
    return [
        {"doc_id": doc_id, "content": store.get("p", doc_id)["content"]}  # type: ignore[index]
        for doc_id in store.ids("p")
    ]
