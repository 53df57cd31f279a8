"""The jsonl connector on real files: snapshot and log modes, offsets, rotation, partial
and bad lines, timestamps."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.fields import UNKNOWN_TIME
from syncdeck.connectors.jsonl import CHECKPOINT_EVERY, JsonlConnector
from syncdeck.core.documents import Checkpoint, Document
from syncdeck.core.errors import ConfigError

from .conftest import MemoryStore, assert_aware_utc, run

BASE = datetime(2024, 5, 1, tzinfo=UTC)


def record(n: int, **extra: object) -> dict[str, object]:
    stamp = (BASE + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    return {"id": f"r{n:04d}", "user": f"user{n % 3}", "text": f"message {n}", "ts": stamp, **extra}


def lines(*records: dict[str, object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


N = 1_200  # records in the chat fixture: two full checkpoints and a partial one


def ids(numbers: range | list[int]) -> list[str]:
    return [f"r{n:04d}" for n in numbers]


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    path = tmp_path / "chat.jsonl"
    path.write_text(lines(*(record(n) for n in range(1, N + 1))))
    return path


def test_full_sync_maps_records_and_checkpoints_by_offset(chat: Path) -> None:
    connector = JsonlConnector(chat, thread_field="channel", title_field="user")
    connector.connector_id = "chat"
    result = run(connector)
    assert result.ids == ids(range(1, N + 1))
    first = result.docs[0]
    assert (first.content, first.author, first.title, first.source) == (
        "message 1",
        "user1",
        "user1",
        "chat",
    )
    assert first.timestamp == BASE + timedelta(minutes=1)
    assert first.version and len({doc.version for doc in result.docs}) == N
    assert_aware_utc(result.docs)
    assert [json.loads(c)["line"] for c in result.cursors] == [CHECKPOINT_EVERY, 1000, N]
    assert json.loads(result.cursor)["offset"] == chat.stat().st_size
    assert result.complete


def test_log_mode_resumes_from_a_midway_cursor(chat: Path) -> None:
    connector = JsonlConnector(chat, mode="log")
    first = run(connector)
    assert not first.complete  # a log is never a complete listing
    assert run(connector, cursor=first.cursors[0]).ids == ids(range(501, N + 1))


def test_log_mode_reads_only_appended_lines(chat: Path) -> None:
    connector = JsonlConnector(chat, mode="log")
    done = run(connector).cursor
    assert run(connector, cursor=done).items == []
    with chat.open("a") as fh:
        fh.write(lines(record(7, text="message 7, edited"), record(N + 1)))
    again = run(connector, cursor=done)
    assert again.ids == ["r0007", f"r{N + 1:04d}"]
    assert again.docs[0].content == "message 7, edited"


def test_log_mode_reads_a_rotated_file_from_its_start_and_deletes_nothing(chat: Path) -> None:
    store = MemoryStore()
    connector = JsonlConnector(chat, mode="log")
    done = store.sync(connector).cursor
    chat.rename(chat.with_suffix(".jsonl.1"))  # logrotate: a new, shorter file
    chat.write_text(lines(record(5000), record(5001)))
    again = store.sync(connector, cursor=done)
    assert again.ids == ["r5000", "r5001"]
    assert len(store) == N + 2  # the rotated-away records stay
    # Truncated in place, then written again past the old offset: the check sees it.
    bigger = lines(*(record(n) for n in range(6000, 6000 + N + 10)))
    chat.write_text(bigger)
    assert run(connector, cursor=again.cursor).ids == ids(range(6000, 6000 + N + 10))


def test_snapshot_mode_stores_only_appended_lines(chat: Path) -> None:
    store = MemoryStore()
    store.sync(JsonlConnector(chat))
    with chat.open("a") as fh:
        fh.write(lines(record(N + 1), record(N + 2)))
    again = store.sync(JsonlConnector(chat))
    assert again.ids == ids([N + 1, N + 2])
    assert again.unchanged == ids(range(1, N + 1))
    assert again.complete and len(store) == N + 2


def test_snapshot_mode_mirrors_a_rewritten_file(chat: Path) -> None:
    store = MemoryStore()
    store.sync(JsonlConnector(chat))
    kept = [record(n, text="message 7, edited") if n == 7 else record(n) for n in range(1, 600)]
    chat.write_text(lines(*kept))  # one line edited, 601 records gone
    again = store.sync(JsonlConnector(chat))
    assert again.ids == ["r0007"]
    assert again.complete
    assert sorted(store.docs) == ids(range(1, 600))
    assert store.docs["r0007"].content == "message 7, edited"


def test_snapshot_mode_keeps_the_last_line_of_a_repeated_id(tmp_path: Path) -> None:
    path = tmp_path / "dups.jsonl"
    path.write_text(lines(record(1), record(2), record(1, text="message 1, v2")))
    store = MemoryStore()
    for _ in range(3):
        store.sync(JsonlConnector(path))
        assert store.content() == {"r0001": "message 1, v2", "r0002": "message 2"}


def test_a_vanished_file_fails_and_an_emptied_one_lists_nothing(chat: Path) -> None:
    connector = JsonlConnector(chat)
    chat.write_text("")
    emptied = run(connector)
    assert emptied.listed == [] and emptied.complete  # the engine's guard keeps the store
    chat.unlink()
    with pytest.raises(SourceError, match=r"file .* is missing"):
        run(connector)


def test_a_truncated_last_line_is_left_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    complete = lines(record(1), record(2))
    partial = json.dumps(record(3))
    path.write_text(complete + partial[:20])
    connector = JsonlConnector(path, mode="log")
    assert run(JsonlConnector(path)).ids == ["r0001", "r0002"]  # snapshot: not listed yet
    first = run(connector)
    assert first.ids == ["r0001", "r0002"]
    assert json.loads(first.cursor)["offset"] == len(complete.encode())
    with path.open("a") as fh:
        fh.write(partial[20:] + "\n")
    assert run(connector, cursor=first.cursor).ids == ["r0003"]


def test_a_complete_object_without_final_newline_is_read(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(lines(record(1)) + json.dumps(record(2)))
    connector = JsonlConnector(path, mode="log")
    result = run(connector)
    assert result.ids == ["r0001", "r0002"]
    assert run(connector, cursor=result.cursor).items == []
    with path.open("a") as fh:
        fh.write("\n" + json.dumps(record(3)) + "\n")
    assert run(connector, cursor=result.cursor).ids == ["r0003"]


def test_a_malformed_line_stops_after_a_checkpoint_covering_the_lines_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.jsonl"
    head = lines(record(1), record(2))
    path.write_text(head + "{not json\n" + "\n" + lines(record(4)))
    connector = JsonlConnector(path, mode="log")
    ids, cursor, error = run_until_error(connector, None)
    assert ids == ["r0001", "r0002"]
    assert json.loads(cursor)["offset"] == len(head.encode())
    assert json.loads(cursor)["line"] == 2
    assert re.search(rf"line 3 \(byte {len(head.encode())}\) is not valid JSON", str(error))
    # Resuming hits the same line again: nothing is skipped silently.
    assert run_until_error(connector, cursor)[:2] == ([], "")
    # The message gives the cursor that skips the line.
    skip = str(error).split("set the cursor to ")[1].split(" to skip")[0]
    assert run(connector, cursor=skip).ids == ["r0004"]
    # A snapshot cannot be complete past an unreadable line: the run stops, deletes nothing.
    snapshot = run_until_error(JsonlConnector(path), None)
    assert snapshot[0] == ["r0001", "r0002"]
    assert "fix the line and sync again (nothing was deleted)" in str(snapshot[2])


def run_until_error(
    connector: JsonlConnector, cursor: str | None
) -> tuple[list[str], str, SourceError]:
    """Ids and last cursor yielded before the SourceError the run must end with."""
    ids: list[str] = []
    last = ""
    with pytest.raises(SourceError) as info:
        for item in connector.sync(since=None, cursor=cursor):
            if isinstance(item, Checkpoint):
                last = item.cursor or ""
            elif isinstance(item, Document):
                ids.append(item.doc_id)
    return ids, last, info.value


def test_json_that_is_not_an_object_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text("[1, 2]\n")
    with pytest.raises(SourceError, match=r"line 1 .* not an object"):
        run(JsonlConnector(path))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1714521600, datetime(2024, 5, 1, tzinfo=UTC)),
        (1714521600500, datetime(2024, 5, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("1714521600", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T02:00:00+02:00", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01 00:00:00", datetime(2024, 5, 1, tzinfo=UTC)),
        ("Wed, 01 May 2024 00:00:00 +0000", datetime(2024, 5, 1, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_utc(tmp_path: Path, value: object, expected: datetime) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(lines({"id": "a", "text": "x", "ts": value}))
    (doc,) = run(JsonlConnector(path)).docs
    assert doc.timestamp == expected
    assert doc.timestamp.tzinfo == UTC


def test_unparsable_timestamp_is_kept_in_metadata(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(lines({"id": "a", "text": "x", "ts": "yesterday"}))
    (doc,) = run(JsonlConnector(path)).docs
    assert doc.metadata["unparsed_timestamp"] == "yesterday"
    assert doc.timestamp == UNKNOWN_TIME  # fixed, so a re-read record stays unchanged


def test_since_filters_only_a_log_run_without_cursor(chat: Path) -> None:
    connector = JsonlConnector(chat, mode="log")
    since = BASE + timedelta(minutes=N - 10)
    assert run(connector, since=since).ids == ids(range(N - 10, N + 1))
    midway = run(connector).cursors[1]
    assert len(run(connector, since=since, cursor=midway).ids) == N - 1000
    # A snapshot lists every record, whatever its date.
    assert len(run(JsonlConnector(chat), since=since).ids) == N


def test_nested_fields_lists_and_unmapped_fields(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    row = {
        "id": 7,
        "body": {"text": "nested"},
        "who": {"name": "Ann"},
        "to": "bob, carl",
        "ts": 0,
        "extra": {"k": [1, 2]},
    }
    path.write_text(lines(row, {"text": "no id"}))
    connector = JsonlConnector(
        path,
        content_field="body.text",
        author_field="who.name",
        participants_field="to",
        doc_type="event",
    )
    doc, missing = run(connector).docs
    assert (doc.doc_id, doc.content, doc.author, doc.doc_type) == ("7", "nested", "Ann", "event")
    assert doc.participants == ["bob", "carl"]
    # Mapped top-level fields are not repeated; the rest is kept.
    assert doc.metadata == {
        "body": {"text": "nested"},
        "who": {"name": "Ann"},
        "extra": {"k": [1, 2]},
    }
    assert missing.doc_id == ""  # the pipeline quarantines it with the reason


def test_a_log_cursor_from_before_the_check_still_resumes(chat: Path) -> None:
    connector = JsonlConnector(chat, mode="log")
    done = json.loads(run(connector).cursors[0])
    old = json.dumps({"offset": done["offset"], "line": done["line"]})
    assert run(connector, cursor=old).ids == ids(range(501, N + 1))
    chat.write_text(lines(record(1000), record(1001)))  # shorter: replaced
    assert run(connector, cursor=old).ids == ["r1000", "r1001"]
    assert run(connector, cursor='{"offset": -5, "line": 0}').ids == ["r1000", "r1001"]


def test_config_errors_name_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'path'.*not a file"):
        JsonlConnector(tmp_path)
    with pytest.raises(SourceError, match=r"missing\.jsonl is missing"):
        run(JsonlConnector(tmp_path / "missing.jsonl"))
    path = tmp_path / "x.jsonl"
    path.write_text("")
    with pytest.raises(ConfigError, match="'id_field'"):
        JsonlConnector(path, id_field="")
    with pytest.raises(ConfigError, match="'mode'"):
        JsonlConnector(path, mode="append")
    assert run(JsonlConnector(path, mode="log")).items == []
