"""Property-based: a source that deletes, renames, rewrites and grows between runs, with
failures and cancels at random points of each run.

Invariant: an interrupted run never deletes (what the store held of the current source is
still there) and ``items_synced`` is the store's count; after the successful run that ends
each generation, the store equals the source exactly - ids, contents and count."""

from __future__ import annotations

import threading

from conftest import Backend
from core.mirror_sources import ListedSource, items
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine

Interruption = tuple[str, int]  # ("fail" | "cancel", item index)


@st.composite
def generation(draw: st.DrawFn, size: int) -> dict[str, object]:
    picks = st.sets(st.integers(0, max(0, size - 1)), max_size=max(0, size // 2))
    return {
        "delete": draw(picks),
        "rename": draw(picks),
        "rewrite": draw(picks),
        "add": draw(st.integers(0, 10)),
        "interruptions": draw(
            st.lists(
                st.tuples(st.sampled_from(["fail", "cancel"]), st.integers(0, size + 10)),
                max_size=3,
            )
        ),
    }


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, list[dict[str, object]], int, int]:
    n = draw(st.integers(0, 50))
    generations = draw(st.lists(generation(n + 20), min_size=1, max_size=4))
    return n, generations, draw(st.integers(1, 25)), draw(st.integers(1, 15))


def mutate(source: dict[str, tuple[str, str]], change: dict[str, object], step: int) -> None:
    ids = sorted(source)
    for index in sorted(change["rewrite"]):  # type: ignore[arg-type]
        if index < len(ids) and ids[index] in source:
            source[ids[index]] = (f"rewritten in generation {step}: {ids[index]}", f"g{step}")
    for index in sorted(change["rename"]):  # type: ignore[arg-type]
        if index < len(ids) and ids[index] in source:
            source[f"moved-{step}-{ids[index]}"] = source.pop(ids[index])
    for index in sorted(change["delete"]):  # type: ignore[arg-type]
        if index < len(ids):
            source.pop(ids[index], None)
    for i in range(change["add"]):  # type: ignore[arg-type]
        source[f"new-{step}-{i:03d}"] = (f"added in generation {step}, number {i}", "v1")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scenarios())
def test_store_mirrors_a_mutating_source_through_interruptions(
    backend: Backend,
    scenario: tuple[int, list[dict[str, object]], int, int],
) -> None:
    n, generations, batch, every = scenario
    source = items(n)
    store_location, state_location = backend.fresh()
    store = KnowledgeStore(store_location)
    engine = SyncEngine(IngestionPipeline(store), state_db=state_location, batch_size=batch)
    try:
        engine.sync(ListedSource("m", dict(source), every=every), apply_deletes=True)
        for step, change in enumerate(generations, 1):
            mutate(source, change, step)
            for kind, index in change["interruptions"]:  # type: ignore[attr-defined]
                before = set(store.ids("m"))
                cancel = threading.Event()

                def hook(i: int, kind: str = kind, index: int = index, cancel=cancel) -> None:  # type: ignore[no-untyped-def]
                    if i == index:
                        if kind == "fail":
                            raise RuntimeError(f"boom at {i}")
                        cancel.set()

                connector = ListedSource("m", dict(source), every=every, on_item=hook)
                try:
                    engine.sync(connector, cancel=cancel, apply_deletes=True)
                except RuntimeError as exc:
                    assert str(exc).startswith("boom at")
                now = set(store.ids("m"))
                finished = engine.runs("m")[0]
                if finished.deleted == 0:  # interrupted: nothing may be deleted
                    assert before <= now
                assert engine.get_checkpoint("m")["items_synced"] == len(now)
            engine.sync(ListedSource("m", dict(source), every=every), apply_deletes=True)
            assert {d: store.get("m", d)["content"] for d in store.ids("m")} == {
                d: content for d, (content, _) in source.items()
            }
            assert engine.get_checkpoint("m")["items_synced"] == len(source)
            assert engine.get_checkpoint("m")["error"] is None
        store.check_index()
    finally:
        engine.close()
        store.close()
