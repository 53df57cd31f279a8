"""The run supervisor on a real engine: slots and queue, cancel, outcomes of every kind,
and the live fold it keeps (what both front ends display)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.connectors import Held, Secretive

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.app.live import Phase
from syncdeck.app.outcome import EndKind, RunOutcome
from syncdeck.app.supervisor import Decision, RunSupervisor
from syncdeck.core.connector import BaseConnector
from syncdeck.core.errors import ConfigError
from syncdeck.core.events import RunFinished, RunStatus

WAIT = 10.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SyncEngine]:
    with (
        KnowledgeStore(tmp_path / "knowledge.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=tmp_path / "state.db") as engine,
    ):
        yield engine


class Gates:
    """A held connector per id: ``held[cid]`` is set mid-run, ``release(cid)`` lets it end."""

    def __init__(self) -> None:
        self.held: dict[str, threading.Event] = {}
        self.releases: dict[str, threading.Event] = {}

    def build(self, cid: str) -> BaseConnector:
        held = self.held.setdefault(cid, threading.Event())
        release = self.releases.setdefault(cid, threading.Event())
        return Held(cid, held, release, before=5, after=5, every=5)

    def release(self, cid: str) -> None:
        self.releases.setdefault(cid, threading.Event()).set()

    def wait_held(self, cid: str) -> None:
        assert self.held.setdefault(cid, threading.Event()).wait(WAIT), f"{cid} never held"


@pytest.fixture
def gates() -> Iterator[Gates]:
    gates = Gates()
    yield gates
    for release in gates.releases.values():
        release.set()


def test_supervisor_limits_and_queues_in_order(engine: SyncEngine, gates: Gates) -> None:
    supervisor = RunSupervisor(engine, gates.build, max_concurrent=2)
    assert [supervisor.request(c) for c in "abcd"] == [
        Decision.STARTED, Decision.STARTED, Decision.QUEUED, Decision.QUEUED,
    ]  # fmt: skip
    assert supervisor.request("a") is Decision.ALREADY_RUNNING
    assert supervisor.request("c") is Decision.ALREADY_QUEUED
    assert supervisor.cancel("d") is Phase.SKIPPED and supervisor.queued == ["c"]
    assert supervisor.live.view("d").phase is Phase.SKIPPED  # type: ignore[union-attr]
    gates.wait_held("a")
    gates.release("a")  # a ends: c takes its slot
    gates.wait_held("c")
    assert set(supervisor.running) == {"b", "c"}
    assert sorted(supervisor.cancel_all()) == ["b", "c"]
    gates.release("b")  # they stop at their next item
    gates.release("c")
    assert supervisor.wait(WAIT)
    assert not supervisor.busy
    assert supervisor.cancel("zzz") is None
    views = supervisor.live.views()
    assert views["a"].status is RunStatus.SUCCEEDED and views["a"].totals.documents == 10
    assert {views[c].status for c in "bc"} == {RunStatus.CANCELLED}
    assert all(views[c].phase is Phase.ENDED for c in "abc")
    assert engine.runs("d") == []


def test_outcomes_of_every_kind_reach_the_fold_and_the_callback(
    engine: SyncEngine, gates: Gates
) -> None:
    ended: list[tuple[RunOutcome, bool]] = []
    token = "tok-never-shown-9876"

    def build(cid: str) -> BaseConnector:
        if cid == "broken":
            raise ValueError(f"cannot build with {token}")
        if cid == "secretive":
            connector = Secretive(cid, token)
            connector.secret_values = (token,)
            return connector
        return gates.build(cid)

    supervisor: RunSupervisor

    def on_end(outcome: RunOutcome) -> None:  # the slot is still held while it runs
        ended.append((outcome, outcome.connector_id in supervisor.running))

    supervisor = RunSupervisor(
        engine, build, redact=lambda text: text.replace(token, "***"), on_end=on_end
    )
    holder = threading.Thread(target=engine.sync, args=(gates.build("taken"),), daemon=True)
    holder.start()  # another run holds "taken": the supervisor's is refused
    gates.wait_held("taken")
    for cid in ("ok", "broken", "secretive", "taken"):
        supervisor.request(cid)
    gates.release("ok")
    assert supervisor.wait(WAIT)
    gates.release("taken")
    holder.join(WAIT)

    outcomes = {outcome.connector_id: outcome for outcome, _ in ended}
    assert all(held for _, held in ended)
    assert outcomes["ok"].kind is EndKind.FINISHED and outcomes["ok"].written == 10
    assert outcomes["broken"].kind is EndKind.NOT_BUILT
    assert "ValueError" in (outcomes["broken"].traceback or "")
    assert outcomes["secretive"].kind is EndKind.FAILED
    assert outcomes["secretive"].run_id is not None
    assert outcomes["taken"].refused and outcomes["taken"].run_id is None

    views = supervisor.live.views()
    broken = views["broken"]
    assert (broken.run_id, broken.status) == (None, RunStatus.FAILED)
    assert broken.error == "ValueError: cannot build with ***"
    assert broken.traceback is not None and token not in broken.traceback
    failed = views["secretive"]
    assert failed.status is RunStatus.FAILED and failed.totals.documents == 1
    assert failed.error == "PermissionError: the server refused token ***"  # by the engine
    assert views["taken"].status is None  # refused: no run of its own to show
    assert views["ok"].outcome is outcomes["ok"]


def test_cancel_of_a_running_sync_is_shown_until_it_ends(engine: SyncEngine, gates: Gates) -> None:
    readings = iter([10.0, 11.0, 12.5])  # start, cancel, finish
    supervisor = RunSupervisor(engine, gates.build, clock=lambda: next(readings))
    supervisor.request("slow")
    gates.wait_held("slow")
    assert supervisor.cancel("slow") is Phase.CANCELLING
    cancelling = supervisor.live.view("slow")
    assert cancelling is not None and cancelling.phase is Phase.CANCELLING
    assert cancelling.cancelling_for(14.0) == 3.0  # since the cancel was asked
    assert supervisor.cancel("slow") is Phase.CANCELLING  # asked again: the clock is kept
    gates.release("slow")
    assert supervisor.wait(WAIT)
    view = supervisor.live.view("slow")
    assert view is not None and view.status is RunStatus.CANCELLED
    assert view.elapsed(99.0) == 2.5  # from the injected clock, start to finish


def test_events_are_handed_on_after_the_fold_saw_them(engine: SyncEngine, gates: Gates) -> None:
    seen: list[tuple[str, Any]] = []
    supervisor: RunSupervisor

    def on_event(event: Any) -> None:
        view = supervisor.live.view(event.connector_id)
        seen.append((type(event).__name__, view.run_id if view else None))

    supervisor = RunSupervisor(engine, gates.build, on_event=on_event)
    gates.release("quick")
    supervisor.request("quick")
    assert supervisor.wait(WAIT)
    run_id = supervisor.live.view("quick").run_id  # type: ignore[union-attr]
    assert seen[0] == ("RunStarted", run_id) and seen[-1] == ("RunFinished", run_id)


def test_a_config_error_shows_without_a_traceback(engine: SyncEngine) -> None:
    def build(cid: str) -> BaseConnector:
        raise ConfigError("syncdeck.toml: [connectors.bad] path: folder does not exist")

    supervisor = RunSupervisor(engine, build)
    supervisor.request("bad")
    assert supervisor.wait(WAIT)
    view = supervisor.live.view("bad")
    assert view is not None and view.traceback is None
    assert view.error == "syncdeck.toml: [connectors.bad] path: folder does not exist"


def test_a_request_while_the_last_run_closes_starts_right_after_it(
    engine: SyncEngine, gates: Gates
) -> None:
    """The engine has reported the run's end (the deck shows it succeeded) but its thread
    is still closing it: a new request is not refused as 'already running', it starts
    as soon as the slot is free."""
    closing, go_on = threading.Event(), threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, RunFinished) and not go_on.is_set():
            closing.set()
            go_on.wait(WAIT)  # the run's thread is held between its end and its slot's

    supervisor = RunSupervisor(engine, gates.build, max_concurrent=1, on_event=on_event)
    gates.release("a")
    assert supervisor.request("a") is Decision.STARTED
    assert closing.wait(WAIT)
    assert supervisor.live.view("a").status is RunStatus.SUCCEEDED  # type: ignore[union-attr]
    assert supervisor.request("a") is Decision.NEXT
    assert supervisor.request("a") is Decision.ALREADY_QUEUED
    go_on.set()
    assert supervisor.wait(WAIT)
    assert [run.status for run in engine.runs("a")] == [RunStatus.SUCCEEDED] * 2
