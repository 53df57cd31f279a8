"""The demo connector: deterministic documents, checkpoints, and injected failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncdeck.connectors.demo import DemoConnector, DemoFailure, document_time
from syncdeck.connectors.errors import CursorError
from syncdeck.core.documents import Checkpoint, Document
from syncdeck.core.errors import ConfigError

from .conftest import MemoryStore, assert_aware_utc, run


def run_until_failure(demo: DemoConnector, cursor: str | None) -> tuple[list[str], str, str]:
    """Ids and last cursor yielded before the DemoFailure the run must end with."""
    ids: list[str] = []
    last = ""
    with pytest.raises(DemoFailure) as info:
        for item in demo.sync(since=None, cursor=cursor):
            if isinstance(item, Checkpoint):
                last = item.cursor or ""
            elif isinstance(item, Document):
                ids.append(item.doc_id)
    return ids, last, str(info.value)


def test_full_sync_is_deterministic_with_checkpoints_every_n() -> None:
    demo = DemoConnector(count=120, checkpoint_every=50)
    demo.connector_id = "firehose"
    result = run(demo)
    assert result.ids == [f"doc-{n:06d}" for n in range(1, 121)]
    assert result.cursors == ["50", "100", "120"]
    assert {doc.source for doc in result.docs} == {"firehose"}
    assert_aware_utc(result.docs)
    again = run(DemoConnector(count=120, checkpoint_every=50))
    assert [d.content for d in again.docs] == [d.content for d in result.docs]
    other_seed = run(DemoConnector(count=120, seed=1))
    assert [d.content for d in other_seed.docs] != [d.content for d in result.docs]
    contents = {doc.content for doc in result.docs}
    assert len(contents) == 120  # varied text
    assert all(doc.title and doc.author and doc.thread_id for doc in result.docs)


def test_resume_from_a_midway_cursor() -> None:
    demo = DemoConnector(count=120, checkpoint_every=50)
    resumed = run(demo, cursor="50")
    assert resumed.ids == [f"doc-{n:06d}" for n in range(51, 121)]
    assert resumed.docs[0] == demo.document(51)


def test_fail_once_fails_until_resumed_from_the_checkpoint_it_leaves() -> None:
    demo = DemoConnector(count=40, fail_at=30, checkpoint_every=10)
    ids, cursor, message = run_until_failure(demo, None)
    assert message == "demo failure injected at document 30"
    assert ids == [f"doc-{n:06d}" for n in range(1, 30)]
    assert cursor == "29"
    assert run(demo, cursor="29").ids == [f"doc-{n:06d}" for n in range(30, 41)]
    # An earlier cursor (e.g. the last regular checkpoint, or a reset) fails again.
    assert run_until_failure(demo, "20")[1] == "29"
    assert run(demo, cursor="35").ids[0] == "doc-000036"


def test_fail_once_at_the_first_document() -> None:
    demo = DemoConnector(count=3, fail_at=1)
    assert run_until_failure(demo, None)[:2] == ([], "0")
    assert run(demo, cursor="0").ids == ["doc-000001", "doc-000002", "doc-000003"]


def test_fail_always_fails_every_run_that_reaches_it() -> None:
    demo = DemoConnector(count=40, fail_at=30, fail_mode="always")
    assert run_until_failure(demo, None)[1] == "29"
    assert run_until_failure(demo, "29")[0] == []


def test_fail_with_probability() -> None:
    certain = DemoConnector(count=40, fail_at=5, fail_mode="probability", fail_probability=1.0)
    assert run_until_failure(certain, None)[0] == [f"doc-{n:06d}" for n in range(1, 5)]
    never = DemoConnector(count=40, fail_mode="probability", fail_probability=0.0)
    assert len(run(never).docs) == 40
    flaky = DemoConnector(count=400, fail_mode="probability", fail_probability=0.05, seed=3)
    ids, cursor, _ = run_until_failure(flaky, None)
    assert ids == run_until_failure(flaky, None)[0]  # reproducible for the same start
    assert 0 < len(ids) < 400
    assert cursor == str(len(ids))  # everything before the failure is kept


def test_since_skips_older_documents_only_without_cursor() -> None:
    demo = DemoConnector(count=100)
    since = document_time(90)
    assert run(demo, since=since).ids == [f"doc-{n:06d}" for n in range(90, 101)]
    assert len(run(demo, since=since, cursor="50").ids) == 50
    assert document_time(1) == datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=3)


def changing(**params: object) -> DemoConnector:
    defaults: dict[str, object] = {"count": 60, "checkpoint_every": 20}
    return DemoConnector(delete_every=10, rename_every=7, **{**defaults, **params})  # type: ignore[arg-type]


def expected_ids(generation: int, count: int = 60) -> list[str]:
    found = []
    for n in range(1, count + 1):
        if generation and (n + generation) % 10 == 0:
            continue
        renamed = generation and (n + generation) % 7 == 0
        found.append(f"doc-{n:06d}-r{generation}" if renamed else f"doc-{n:06d}")
    return found


def test_a_changing_demo_deletes_and_renames_a_new_set_each_pass() -> None:
    store = MemoryStore()
    first = store.sync(changing())
    assert first.ids == expected_ids(0)
    assert first.cursors == ["0:20", "0:40", "1:0"]
    assert first.complete
    second = store.sync(changing(), cursor=first.cursor)
    assert sorted(store.docs) == sorted(expected_ids(1))
    renamed = [i for i in expected_ids(1) if "-r1" in i]
    assert second.ids == renamed  # only the renamed are new documents
    assert len(second.unchanged) == len(expected_ids(1)) - len(renamed)
    assert second.cursor == "2:0"
    third = store.sync(changing(), cursor=second.cursor)
    assert sorted(store.docs) == sorted(expected_ids(2))
    assert {d.content for d in third.docs} <= {changing().document(n).content for n in range(61)}
    # The same generation always lists the same source.
    assert run(changing(), cursor="2:0").ids == run(changing(), cursor="2:0").ids


def test_a_changing_demo_resumes_an_interrupted_pass_in_its_generation() -> None:
    store = MemoryStore()
    store.sync(changing(), cursor="1:0")
    flaky = changing(fail_at=45)
    ids, cursor, _ = run_until_failure(flaky, "2:0")
    assert cursor == "2:44"
    for doc_id in ids:  # what the engine stored before the failure
        store.hold(flaky.document(int(doc_id[4:10]), generation=2))
    resumed = store.sync(changing(fail_at=45), cursor=cursor)
    assert resumed.complete and resumed.cursor == "3:0"
    assert sorted(store.docs) == sorted(expected_ids(2))
    assert not set(resumed.ids) & set(ids)  # what was stored is re-announced, not re-read


def test_a_steady_demo_never_lists_again() -> None:
    demo = DemoConnector(count=30)
    assert run(demo, cursor="30").items == []
    assert not run(demo).complete


def test_delay_still_yields_everything() -> None:
    assert len(run(DemoConnector(count=3, delay=0.001)).docs) == 3


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"count": -1}, "count"),
        ({"delay": -0.5}, "delay"),
        ({"fail_at": 0}, "fail_at"),
        ({"fail_mode": "sometimes"}, "fail_mode"),
        ({"fail_probability": 2}, "fail_probability"),
        ({"checkpoint_every": 0}, "checkpoint_every"),
        ({"seed": "x"}, "seed"),
        ({"delete_every": -1}, "delete_every"),
        ({"rename_every": 1.5}, "rename_every"),
    ],
)
def test_bad_parameters_are_config_errors(params: dict[str, object], name: str) -> None:
    with pytest.raises(ConfigError, match=f"'{name}'"):
        DemoConnector(**params)  # type: ignore[arg-type]


def test_a_hand_edited_cursor_is_reported() -> None:
    for cursor in ("abc", "x:1", "1:", "-1:2"):
        with pytest.raises(CursorError, match="number of documents done"):
            run(DemoConnector(count=3), cursor=cursor)


def test_describe() -> None:
    assert DemoConnector(count=400, fail_at=150).describe() == (
        "400 synthetic documents, failing once at document 150"
    )
    assert changing().describe() == (
        "60 synthetic documents, 1 in 10 deleted each pass, 1 in 7 renamed each pass"
    )
