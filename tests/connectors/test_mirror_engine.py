"""Each mirroring connector through the real engine and a real SQLite store: after every
successful run the store equals the source (what a fresh full read of it yields), with
``items_synced`` exact — across deletions, renames, moves, old-mtime files, edits with
their mtime put back, rewrites, interrupted runs, a vanished and an emptied source."""

from __future__ import annotations

import json
import mailbox
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.connectors.demo import DemoConnector
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.filesystem import FilesystemConnector
from syncdeck.connectors.http import HttpConnector
from syncdeck.connectors.jsonl import JsonlConnector
from syncdeck.connectors.mailbox import MailboxConnector
from syncdeck.connectors.obsidian import ObsidianConnector
from syncdeck.connectors.sqlite import SqliteConnector
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Document
from syncdeck.core.errors import DeletionsHeld
from syncdeck.core.events import BatchCommitted, SyncEvent

from .conftest import ApiServer, Reply, run
from .test_mailbox import message, write_mbox

OLD = 1_500_000_000  # an mtime long before any sync


class Mirror:
    """A real store and engine, and the check that the store equals the source."""

    def __init__(self, folder: Path) -> None:
        self.store = KnowledgeStore(folder / "knowledge.db")
        self.engine = SyncEngine(IngestionPipeline(self.store), state_db=folder / "state.db")

    def sync(self, connector: BaseConnector, **kwargs: object) -> int:
        return self.engine.sync(connector, **kwargs)  # type: ignore[arg-type]

    def held(self, connector_id: str) -> dict[str, str]:
        return {
            doc_id: self.store.get(connector_id, doc_id)["content"]  # type: ignore[index]
            for doc_id in sorted(self.store.ids(connector_id))
        }

    def assert_mirrors(self, make: Callable[[], BaseConnector]) -> dict[str, str]:
        """The store holds exactly what a fresh read of the source yields."""
        fresh = make()
        expected: dict[str, str] = {}
        for item in fresh.sync(since=None, cursor=None):
            if isinstance(item, Document):
                expected[item.doc_id] = item.content
        connector_id = fresh.connector_id
        assert self.held(connector_id) == dict(sorted(expected.items()))
        assert self.engine.get_checkpoint(connector_id)["items_synced"] == len(expected)
        assert self.engine.get_checkpoint(connector_id)["error"] is None
        return expected

    def close(self) -> None:
        self.engine.close()
        self.store.close()


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    state = tmp_path / "data"
    state.mkdir()
    mirror = Mirror(state)
    yield mirror
    mirror.close()


def named(connector: BaseConnector, name: str) -> BaseConnector:
    connector.connector_id = name
    return connector


def write(path: Path, text: str, mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


# --- filesystem and obsidian ----------------------------------------------------------


def notes_tree(root: Path, count: int = 250) -> None:
    for n in range(count):
        write(root / f"dir{n % 5}" / f"note{n:03d}.md", f"# Note {n}\n\nbody {n}\n", OLD + n)


def test_filesystem_mirrors_every_kind_of_change(mirror: Mirror, tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes_tree(root)

    def make() -> BaseConnector:
        return named(FilesystemConnector(root), "notes")

    mirror.sync(make())
    assert len(mirror.assert_mirrors(make)) == 250
    (root / "dir0" / "note000.md").unlink()  # deleted
    (root / "dir1" / "note001.md").rename(root / "dir2" / "renamed.md")  # moved, same mtime
    (root / "dir3").rename(root / "dir3-moved")  # a folder moved
    write(root / "imported" / "old.md", "# From a tarball\n", OLD - 10**6)  # tar x, cp -p
    edited = root / "dir4" / "note004.md"
    stat = edited.stat()
    edited.write_text("# Note 4\n\nBODY 4\n")  # same size, mtime put back
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert mirror.sync(make()) == 1 + 50 + 1 + 1  # written: renamed, moved, new, edited
    held = mirror.assert_mirrors(make)
    assert "dir0/note000.md" not in held and "dir2/renamed.md" in held
    assert held["dir4/note004.md"].endswith("BODY 4\n")
    runs = mirror.engine.runs("notes")
    assert runs[0].deleted == 1 + 1 + 50  # deleted, renamed, moved
    assert mirror.sync(make()) == 0
    assert mirror.engine.runs("notes")[0].unchanged == 250


def test_filesystem_non_utf8_names_are_stored_and_checkpointed(
    mirror: Mirror, tmp_path: Path
) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    for name in (b"caf\xe9.md", b"caf\xe8.md"):
        with open(os.path.join(os.fsencode(root), name), "wb") as fh:
            fh.write(b"# " + name + b"\n")

    def make() -> BaseConnector:
        return named(FilesystemConnector(root), "latin")

    mirror.sync(make())
    assert sorted(mirror.assert_mirrors(make)) == ["caf\\xe8.md", "caf\\xe9.md"]
    assert json.loads(mirror.engine.get_checkpoint("latin")["cursor"])["path"] == "caf\\xe9.md"


def test_an_interrupted_listing_resumes_and_still_mirrors(mirror: Mirror, tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes_tree(root, 450)

    def make() -> BaseConnector:
        return named(FilesystemConnector(root), "notes")

    mirror.sync(make())
    for n in range(0, 450, 3):
        (root / f"dir{n % 5}" / f"note{n:03d}.md").unlink()
    cancel = threading.Event()

    def stop_after_a_batch(event: SyncEvent) -> None:
        if isinstance(event, BatchCommitted):
            cancel.set()

    notes_tree(root / "new", 150)
    mirror.sync(make(), cancel=cancel, on_event=stop_after_a_batch)
    assert mirror.engine.runs("notes")[0].status.value == "cancelled"
    assert len(mirror.store.ids("notes")) > 300  # nothing deleted by the cancelled run
    mirror.sync(make())
    assert len(mirror.assert_mirrors(make)) == 450 - 150 + 150


def test_obsidian_renames_through_the_engine(mirror: Mirror, tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault / "A.md", "---\ntags: [x]\n---\nSee [[B]].\n")
    write(vault / "B.md", "# B\n")
    write(vault / "C.md", "# C\n")
    write(vault / ".obsidian" / "workspace.md", "settings\n")

    def make() -> BaseConnector:
        return named(ObsidianConnector(vault), "vault")

    mirror.sync(make())
    (vault / "B.md").rename(vault / "B renamed.md")
    mirror.sync(make())
    assert sorted(mirror.assert_mirrors(make)) == ["A.md", "B renamed.md", "C.md"]
    assert mirror.store.get("vault", "A.md")["metadata"]["links"] == ["B"]  # type: ignore[index]


@pytest.mark.parametrize("kind", ["vanished", "emptied"])
def test_a_vanished_or_emptied_folder_never_wipes_the_store(
    mirror: Mirror, tmp_path: Path, kind: str
) -> None:
    root = tmp_path / "share"
    notes_tree(root, 20)

    def make() -> BaseConnector:
        return named(FilesystemConnector(root), "share")

    mirror.sync(make())
    if kind == "vanished":
        shutil.rmtree(root)
        with pytest.raises(SourceError, match="is missing"):
            mirror.sync(make())
    else:
        for path in root.rglob("*.md"):
            path.unlink()
        with pytest.raises(DeletionsHeld, match="listed none of the 20"):
            mirror.sync(make())
    assert len(mirror.store.ids("share")) == 20
    if kind == "emptied":
        mirror.sync(make(), apply_deletes=True)  # the operator applies it on purpose
        assert mirror.store.ids("share") == []


# --- mailbox --------------------------------------------------------------------------


def test_mbox_and_maildir_mirror_removals_and_shared_message_ids(
    mirror: Mirror, tmp_path: Path
) -> None:
    path = write_mbox(tmp_path / "mail.mbox", [message(n) for n in range(1, 13)])

    def make_mbox() -> BaseConnector:
        return named(MailboxConnector(path), "mbox")

    mirror.sync(make_mbox())
    box = mailbox.mbox(path)
    box.lock()
    box.remove(3)
    box.add(message(5, body="A second copy under the same Message-ID.\n"))
    box.flush()
    box.close()
    mirror.sync(make_mbox())
    held = mirror.assert_mirrors(make_mbox)
    assert "m4@example.org" not in held
    assert len([i for i in held if i.startswith("m5@example.org#")]) == 2
    assert mirror.engine.runs("mbox")[0].deleted == 2  # m4, and m5 under its plain id

    root = tmp_path / "Maildir"
    mailbox.Maildir(root, create=True).close()
    for n in range(1, 9):
        (root / "new" / f"17000000{n:02d}.k{n}.host").write_bytes(message(n).as_bytes())

    def make_maildir() -> BaseConnector:
        return named(MailboxConnector(root), "maildir")

    mirror.sync(make_maildir())
    (root / "new" / "1700000002.k2.host").unlink()
    (root / "new" / "1700000003.k3.host").rename(root / "cur" / "1700000003.k3.host:2,S")
    assert mirror.sync(make_maildir()) == 0
    assert sorted(mirror.assert_mirrors(make_maildir)) == sorted(
        f"m{n}@example.org" for n in range(1, 9) if n != 2
    )


# --- sqlite, jsonl, http, demo ----------------------------------------------------------


@pytest.mark.parametrize("version_column", ["", "updated"])
def test_sqlite_mirrors_deleted_and_updated_rows(
    mirror: Mirror, tmp_path: Path, version_column: str
) -> None:
    db = tmp_path / "source.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, content TEXT, updated INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?, ?, 0)", [(n, f"row {n}") for n in range(300)])
    conn.close()

    def make() -> BaseConnector:
        connector = SqliteConnector(db, table="t", version_column=version_column, page_size=64)
        return named(connector, "rows")

    mirror.sync(make())
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM t WHERE id % 10 = 0")
        conn.execute("UPDATE t SET content = 'edited', updated = 1 WHERE id IN (5, 205)")
    conn.close()
    assert mirror.sync(make()) == 2
    held = mirror.assert_mirrors(make)
    assert len(held) == 270 and held["205"] == "edited"


def test_jsonl_snapshot_rewrites_and_appends(mirror: Mirror, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"

    def lines(numbers: range, edited: int = -1) -> str:
        return "".join(
            json.dumps({"id": n, "text": "edited" if n == edited else f"m{n}"}) + "\n"
            for n in numbers
        )

    path.write_text(lines(range(600)))

    def make() -> BaseConnector:
        return named(JsonlConnector(path), "export")

    mirror.sync(make())
    path.write_text(lines(range(100, 600), edited=300))  # rewritten: 100 gone, 1 edited
    assert mirror.sync(make()) == 1
    with path.open("a") as fh:
        fh.write(lines(range(600, 610)))
    assert mirror.sync(make()) == 10
    assert len(mirror.assert_mirrors(make)) == 510


def test_http_full_refresh_reconciles(mirror: Mirror, api: ApiServer) -> None:
    records = [{"id": n, "content": f"item {n}"} for n in range(40)]

    def serve(seen: object) -> Reply:
        return Reply(body={"items": records})

    api.routes["/items"] = serve

    def make() -> BaseConnector:
        return named(
            HttpConnector(api.url + "/items", items_path="items", full_refresh=True), "api"
        )

    mirror.sync(make())
    del records[10:15]
    records[0] = {"id": 0, "content": "item 0, edited"}
    assert mirror.sync(make()) == 1
    assert len(mirror.assert_mirrors(make)) == 35


def test_changing_demo_over_passes(mirror: Mirror) -> None:
    connector_id = "changing"

    def make() -> BaseConnector:
        demo = DemoConnector(count=300, delete_every=25, rename_every=40, checkpoint_every=30)
        return named(demo, connector_id)

    for _ in range(4):
        mirror.sync(make())
        cursor = mirror.engine.get_checkpoint(connector_id)["cursor"]
        generation = int(cursor.split(":")[0]) - 1  # the pass just completed
        expected = {doc.doc_id: doc.content for doc in run(make(), cursor=f"{generation}:0").docs}
        assert mirror.held(connector_id) == dict(sorted(expected.items()))
        assert mirror.engine.get_checkpoint(connector_id)["items_synced"] == len(expected)
    assert mirror.engine.runs(connector_id)[0].deleted > 0
