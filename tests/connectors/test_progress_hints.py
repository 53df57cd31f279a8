"""The built-in connectors that can tell how much there is say so with ``Progress``:
files of a folder, bytes of a mailbox, rows of a table, documents of the demo source, the
records an API announces. Each hint grows and the last one is complete."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from syncdeck.connectors.demo import DemoConnector
from syncdeck.connectors.filesystem import FilesystemConnector
from syncdeck.connectors.http import HttpConnector
from syncdeck.connectors.mailbox import MailboxConnector
from syncdeck.connectors.sqlite import SqliteConnector
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Document, Progress

from .conftest import SAMPLES, ApiServer, Reply, Seen, run


def hints(connector: BaseConnector) -> tuple[list[Progress], int]:
    items = run(connector).items
    return [i for i in items if isinstance(i, Progress)], sum(
        isinstance(i, Document) for i in items
    )


def assert_grows_to_complete(progress: list[Progress], unit: str) -> None:
    assert progress, "no progress hint"
    assert all(p.unit == unit for p in progress)
    done = [p.done for p in progress]
    assert done == sorted(done)
    last = progress[-1]
    assert last.total is not None and last.done == last.total and last.share == 1.0


def test_a_folder_counts_its_files(tmp_path: Path) -> None:
    for n in range(45):
        (tmp_path / f"note{n:02d}.md").write_text(f"# Note {n}\n")
    progress, documents = hints(FilesystemConnector(tmp_path))
    assert documents == 45
    assert_grows_to_complete(progress, "files")
    assert all(p.total == 45 for p in progress)
    assert [p.done for p in progress] == [20, 40, 45]


def test_a_huge_folder_is_streamed_without_a_total(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import syncdeck.connectors.filesystem as filesystem

    monkeypatch.setattr(filesystem, "COUNT_AT_MOST", 30)
    for n in range(45):
        (tmp_path / f"note{n:02d}.md").write_text(f"# Note {n}\n")
    progress, documents = hints(FilesystemConnector(tmp_path))
    assert documents == 45
    assert [p.total for p in progress] == [None, None, 45]  # known once it is all listed


def test_a_mailbox_reports_bytes() -> None:
    mbox = SAMPLES / "mail.mbox"
    progress, documents = hints(MailboxConnector(mbox))
    assert documents == 20
    assert_grows_to_complete(progress, "bytes")
    # the messages' bytes (the From_ lines apart): nearly the whole file
    assert 0.9 * mbox.stat().st_size < progress[-1].total <= mbox.stat().st_size  # type: ignore[operator]


def test_a_table_reports_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "rows.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(n, f"row {n}") for n in range(1, 24)])
    conn.close()
    progress, documents = hints(SqliteConnector(db, table="t", content_column="body", page_size=10))
    assert documents == 23
    assert_grows_to_complete(progress, "rows")
    assert [(p.done, p.total) for p in progress] == [(10, 23), (20, 23), (23, 23)]


def test_the_demo_source_reports_its_count() -> None:
    progress, _ = hints(DemoConnector(count=120, checkpoint_every=50))
    assert [(p.done, p.total) for p in progress] == [(50, 120), (100, 120), (120, 120)]
    assert_grows_to_complete(progress, "documents")


def test_an_api_that_gives_a_total_reports_it(api: ApiServer) -> None:
    def pages(seen: Seen) -> Reply:
        start = int(seen.query.get("page_token", "0"))
        items = [{"id": n, "content": f"r{n}"} for n in range(start, min(start + 4, 10))]
        after = start + 4
        return Reply(
            body={"items": items, "meta": {"total": 10}, "next": after if after < 10 else None}
        )

    api.routes["/r"] = pages
    common = {"items_path": "items", "pagination": "next_token", "token_field": "next"}
    progress, documents = hints(HttpConnector(api.url + "/r", total_field="meta.total", **common))  # type: ignore[arg-type]
    assert documents == 10
    assert [(p.done, p.total) for p in progress] == [(4, 10), (8, 10), (10, 10)]
    assert_grows_to_complete(progress, "records")
    # without total_field, nothing is guessed
    assert hints(HttpConnector(api.url + "/r", **common))[0] == []  # type: ignore[arg-type]
