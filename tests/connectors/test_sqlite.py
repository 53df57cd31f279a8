"""The sqlite connector on real database files."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.sqlite import SqliteConnector, _PagePlan
from syncdeck.core.errors import ConfigError

from .conftest import MemoryStore, assert_aware_utc, run

BASE = datetime(2024, 6, 1, tzinfo=UTC)


def stamp(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "source.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, title TEXT, "
            "owner TEXT, updated_at TEXT, tags TEXT)"
        )
        conn.executemany(
            "INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?)",
            [(n, f"body {n}", f"Note {n}", f"user{n % 4}", stamp(n), "a,b") for n in range(1, 26)],
        )
    conn.close()
    return path


def notes(db: Path, **params: object) -> SqliteConnector:
    defaults: dict[str, object] = {
        "table": "notes",
        "content_column": "body",
        "title_column": "title",
        "author_column": "owner",
        "timestamp_column": "updated_at",
        "page_size": 10,
    }
    return SqliteConnector(db, **{**defaults, **params})  # type: ignore[arg-type]


def test_full_sync_in_pages_with_a_checkpoint_after_each(db: Path) -> None:
    connector = notes(db, participants_column="tags")
    connector.connector_id = "notes-db"
    result = run(connector)
    assert result.ids == [str(n) for n in range(1, 26)]
    doc = result.docs[0]
    assert (doc.content, doc.title, doc.author, doc.source) == (
        "body 1",
        "Note 1",
        "user1",
        "notes-db",
    )
    assert doc.participants == ["a", "b"]
    assert doc.timestamp == BASE + timedelta(minutes=1)
    assert doc.metadata == {}
    assert_aware_utc(result.docs)
    assert [json.loads(c) for c in result.cursors] == [
        {"key": 10, "id": 10},
        {"key": 20, "id": 20},
        {"key": 25, "id": 25},
    ]


def edit(db: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    with sqlite3.connect(db) as conn:
        for sql, args in statements:
            conn.execute(sql, args)
    conn.close()


ALL = [str(n) for n in range(1, 26)]


def test_new_updated_and_deleted_rows_are_mirrored_without_a_version_column(db: Path) -> None:
    store = MemoryStore()
    store.sync(notes(db))
    edit(
        db,
        ("INSERT INTO notes VALUES (26, 'new', 'New', 'u', ?, '')", (stamp(99),)),
        ("UPDATE notes SET body = 'edited' WHERE id = 3", ()),  # the key does not move
        ("DELETE FROM notes WHERE id IN (7, 8)", ()),
    )
    again = store.sync(notes(db))
    assert again.ids == ["3", "26"]
    assert len(again.unchanged) == 22
    assert again.complete
    assert store.docs["3"].content == "edited"
    assert sorted(store.docs, key=int) == [i for i in [*ALL, "26"] if i not in ("7", "8")]


def test_a_version_column_reads_only_the_changed_rows_in_full(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    first = store.sync(notes(db, version_column="updated_at"))
    assert first.docs[0].version is not None and first.docs[0].version.endswith(stamp(1))
    fetched: list[list[object]] = []
    original = _PagePlan.rows

    def spy(self: _PagePlan, conn: object, low: object, high: object, ids: list[object]) -> object:
        fetched.append(ids)
        return original(self, conn, low, high, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(_PagePlan, "rows", spy)
    edit(
        db,
        ("UPDATE notes SET body = 'edited', updated_at = ? WHERE id = 13", (stamp(60),)),
        ("UPDATE notes SET body = 'silent' WHERE id = 14", ()),  # no new version: not seen
    )
    again = store.sync(notes(db, version_column="updated_at"))
    assert again.ids == ["13"]
    assert fetched == [[13]]
    assert store.docs["13"].content == "edited"
    assert store.docs["14"].content == "body 14"


def test_rows_sharing_a_key_across_page_boundaries_are_listed_once(tmp_path: Path) -> None:
    path = tmp_path / "ties.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id TEXT, content TEXT, v INTEGER)")
        conn.executemany(
            "INSERT INTO t VALUES (?, ?, ?)",
            [(f"r{n:02d}", f"text {n}", n // 7) for n in range(30)],
        )
        conn.execute("INSERT INTO t VALUES ('null-key', 'never placed', NULL)")
    conn.close()
    for version_column in ("", "v"):
        connector = SqliteConnector(
            path, table="t", key_column="v", page_size=4, version_column=version_column
        )
        store = MemoryStore()
        result = store.sync(connector)
        assert result.ids == [f"r{n:02d}" for n in range(30)]
        assert len(result.cursors) == 8
        assert store.sync(connector).unchanged == result.ids


def test_a_repeated_id_ends_with_its_last_row_every_run(tmp_path: Path) -> None:
    path = tmp_path / "dups.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id TEXT, content TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [("a", "first"), ("b", "x"), ("a", "last")])
    conn.close()
    store = MemoryStore()
    for _ in range(3):
        store.sync(SqliteConnector(path, table="t"))
        assert store.content() == {"a": "last", "b": "x"}


def test_since_does_not_hide_rows(db: Path) -> None:
    store = MemoryStore()
    store.sync(notes(db), since=BASE + timedelta(days=365))
    assert sorted(store.docs, key=int) == ALL


def test_a_vanished_database_fails_and_an_emptied_table_lists_nothing(db: Path) -> None:
    connector = notes(db)
    edit(db, ("DELETE FROM notes", ()))
    emptied = run(connector)
    assert emptied.listed == [] and emptied.complete  # the engine's guard keeps the store
    db.rename(db.with_suffix(".gone"))
    with pytest.raises(SourceError, match=r"database .* is missing"):
        run(connector)


def test_query_mode(db: Path) -> None:
    connector = SqliteConnector(
        db,
        query="SELECT id, upper(body) AS text, updated_at FROM notes WHERE id % 2 = 0;",
        content_column="text",
        key_column="id",
        timestamp_column="updated_at",
    )
    result = run(connector)
    assert result.ids == [str(n) for n in range(2, 26, 2)]
    assert result.docs[0].content == "BODY 2"
    with pytest.raises(ConfigError, match=r"key_column.*rowid"):
        SqliteConnector(db, query="SELECT id, body FROM notes", content_column="body").sync(
            since=None, cursor=None
        ).__next__()


def test_the_source_is_opened_read_only(db: Path) -> None:
    before = sorted(p.name for p in db.parent.iterdir())
    connector = notes(db)
    iterator = connector.sync(since=None, cursor=None)
    next(iterator)
    with sqlite3.connect(db, timeout=0.1) as writer:  # a writer is never blocked by us
        writer.execute("UPDATE notes SET body = 'x' WHERE id = 1")
    writer.close()
    rest = list(iterator)
    assert len([i for i in rest if hasattr(i, "doc_id")]) == 24
    assert sorted(p.name for p in db.parent.iterdir()) == before


def test_configuration_errors_name_the_parameter(db: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'path'.*not a file"):
        SqliteConnector(tmp_path, table="notes")
    with pytest.raises(SourceError, match=r"missing\.db is missing"):
        run(SqliteConnector(tmp_path / "missing.db", table="notes"))
    with pytest.raises(ConfigError, match="exactly one of"):
        SqliteConnector(db)
    with pytest.raises(ConfigError, match="exactly one of"):
        SqliteConnector(db, table="notes", query="SELECT 1")
    with pytest.raises(ConfigError, match=r"'table'.*nope"):
        run(SqliteConnector(db, table="nope"))
    with pytest.raises(ConfigError, match=r"'key_column'.*'stamp'.*columns: id, body"):
        run(notes(db, key_column="stamp"))
    with pytest.raises(ConfigError, match="'id_column'"):
        run(notes(db, id_column="uid"))
    with pytest.raises(ConfigError, match="'page_size'"):
        notes(db, page_size=0)


def test_without_rowid_table_needs_a_key_column(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE w (id TEXT PRIMARY KEY, content TEXT) WITHOUT ROWID")
        conn.execute("INSERT INTO w VALUES ('a', 'x')")
    conn.close()
    with pytest.raises(ConfigError, match="set key_column"):
        run(SqliteConnector(path, table="w"))
    assert run(SqliteConnector(path, table="w", key_column="id")).ids == ["a"]


def test_not_a_database_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(SourceError, match="cannot read"):
        run(SqliteConnector(path, table="notes"))


def test_a_hand_edited_cursor_is_reported(db: Path) -> None:
    with pytest.raises(CursorError, match='"key"'):
        run(notes(db), cursor="10")
    assert run(notes(db), cursor='{"key": 10, "id": 10}').ids == ALL  # a pass lists all
