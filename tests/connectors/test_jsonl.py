"""The jsonl connector on real files: offsets, partial lines, bad lines, timestamps."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.fields import UNKNOWN_TIME
from syncdeck.connectors.jsonl import CHECKPOINT_EVERY, JsonlConnector
from syncdeck.core.documents import Checkpoint
from syncdeck.core.errors import ConfigError

from .conftest import assert_aware_utc, run

BASE = datetime(2024, 5, 1, tzinfo=UTC)


def record(n: int, **extra: object) -> dict[str, object]:
    stamp = (BASE + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    return {"id": f"r{n:04d}", "user": f"user{n % 3}", "text": f"message {n}", "ts": stamp, **extra}


def lines(*records: dict[str, object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    path = tmp_path / "chat.jsonl"
    path.write_text(lines(*(record(n) for n in range(1, 251))))
    return path


def test_full_sync_maps_records_and_checkpoints_by_offset(chat: Path) -> None:
    connector = JsonlConnector(chat, thread_field="channel", title_field="user")
    connector.connector_id = "chat"
    result = run(connector)
    assert result.ids == [f"r{n:04d}" for n in range(1, 251)]
    first = result.docs[0]
    assert (first.content, first.author, first.title, first.source) == (
        "message 1",
        "user1",
        "user1",
        "chat",
    )
    assert first.timestamp == BASE + timedelta(minutes=1)
    assert_aware_utc(result.docs)
    assert [json.loads(c)["line"] for c in result.cursors] == [CHECKPOINT_EVERY, 200, 250]
    assert json.loads(result.cursor)["offset"] == chat.stat().st_size


def test_resume_from_a_midway_cursor(chat: Path) -> None:
    connector = JsonlConnector(chat)
    midway = run(connector).cursors[0]
    assert run(connector, cursor=midway).ids == [f"r{n:04d}" for n in range(101, 251)]


def test_appended_lines_and_an_edited_record_come_next_run(chat: Path) -> None:
    connector = JsonlConnector(chat)
    done = run(connector).cursor
    assert run(connector, cursor=done).ids == []
    with chat.open("a") as fh:
        fh.write(lines(record(7, text="message 7, edited"), record(251)))
    again = run(connector, cursor=done)
    assert again.ids == ["r0007", "r0251"]
    assert again.docs[0].content == "message 7, edited"


def test_a_truncated_last_line_is_left_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    complete = lines(record(1), record(2))
    partial = json.dumps(record(3))
    path.write_text(complete + partial[:20])
    connector = JsonlConnector(path)
    first = run(connector)
    assert first.ids == ["r0001", "r0002"]
    assert json.loads(first.cursor)["offset"] == len(complete.encode())
    with path.open("a") as fh:
        fh.write(partial[20:] + "\n")
    assert run(connector, cursor=first.cursor).ids == ["r0003"]


def test_a_complete_object_without_final_newline_is_read(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(lines(record(1)) + json.dumps(record(2)))
    connector = JsonlConnector(path)
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
    connector = JsonlConnector(path)
    ids, cursor, error = run_until_error(connector, None)
    assert ids == ["r0001", "r0002"]
    assert json.loads(cursor) == {"offset": len(head.encode()), "line": 2}
    assert re.search(rf"line 3 \(byte {len(head.encode())}\) is not valid JSON", str(error))
    # Resuming hits the same line again: nothing is skipped silently.
    assert run_until_error(connector, cursor)[:2] == ([], "")
    # The message gives the cursor that skips the line.
    skip = str(error).split("set the cursor to ")[1].split(" to skip")[0]
    assert run(connector, cursor=skip).ids == ["r0004"]


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
            else:
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


def test_since_filters_only_a_run_without_cursor(chat: Path) -> None:
    connector = JsonlConnector(chat)
    since = BASE + timedelta(minutes=240)
    assert run(connector, since=since).ids == [f"r{n:04d}" for n in range(240, 251)]
    midway = run(connector).cursors[1]
    assert len(run(connector, since=since, cursor=midway).ids) == 50


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


def test_a_replaced_shorter_file_is_read_from_the_start(chat: Path) -> None:
    connector = JsonlConnector(chat)
    done = run(connector).cursor
    chat.write_text(lines(record(1000), record(1001)))
    assert run(connector, cursor=done).ids == ["r1000", "r1001"]
    assert run(connector, cursor='{"offset": -5, "line": 0}').ids == ["r1000", "r1001"]


def test_config_errors_name_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'path'"):
        JsonlConnector(tmp_path / "missing.jsonl")
    path = tmp_path / "x.jsonl"
    path.write_text("")
    with pytest.raises(ConfigError, match="'id_field'"):
        JsonlConnector(path, id_field="")
    assert run(JsonlConnector(path)).items == []
