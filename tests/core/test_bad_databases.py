"""A state DB or store that cannot be used gets a clear error naming the file, and is
never overwritten."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncdeck import (
    DatabaseCorruptError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
    DatabaseVersionError,
    IngestionPipeline,
    KnowledgeStore,
    SyncEngine,
)

from .conftest import CountingConnector


@pytest.mark.parametrize("content", [b"this is my thesis, not a database\n" * 50, b"\x00" * 4096])
def test_state_file_that_is_not_a_database(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)
    with pytest.raises(DatabaseCorruptError) as info:
        SyncEngine(IngestionPipeline(KnowledgeStore(":memory:")), state_db=path)
    message = str(info.value)
    assert str(path) in message
    assert "not a SQLite database" in message and "move it aside" in message
    assert path.read_bytes() == content


def test_store_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    path.write_text("hello")
    with pytest.raises(DatabaseCorruptError, match="knowledge store"):
        KnowledgeStore(path)
    assert path.read_text() == "hello"


@pytest.mark.parametrize("which", ["store", "state"])
def test_database_from_a_newer_version_is_refused_not_downgraded(
    tmp_path: Path, which: str
) -> None:
    path = tmp_path / f"{which}.db"

    def open_it() -> None:
        if which == "store":
            KnowledgeStore(path).close()
        else:
            SyncEngine(IngestionPipeline(KnowledgeStore(":memory:")), state_db=path).close()

    open_it()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(DatabaseVersionError) as info:
        open_it()
    message = str(info.value)
    assert str(path) in message and "newer syncdeck (schema version 99" in message
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
    conn.close()


def test_truncated_database_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SyncEngine(IngestionPipeline(KnowledgeStore(":memory:")), state_db=path).close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * 200)
    before = path.read_bytes()
    with pytest.raises(DatabaseCorruptError) as info:
        SyncEngine(IngestionPipeline(KnowledgeStore(":memory:")), state_db=path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO sync_state (connector_id) VALUES ('other')")
print("locked", flush=True)
sys.stdin.readline()
"""


def test_state_db_locked_past_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = KnowledgeStore(":memory:")
    engine = SyncEngine(IngestionPipeline(store), state_db=path, lock_timeout=0.2)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(DatabaseLockedError) as info:
            engine.sync(CountingConnector(total=5))
        assert str(path) in str(info.value)
        assert "locked by another process" in str(info.value)
    finally:
        holder.communicate("\n", timeout=10)
    assert engine.sync(CountingConnector(total=5)) == 5  # usable once the lock is gone
    engine.close()


def _open_as_nobody(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    if os.geteuid() == 0:  # root ignores permission bits: test as an ordinary user
        os.setgid(65534)
        os.setuid(65534)
    try:
        SyncEngine(IngestionPipeline(KnowledgeStore(":memory:")), state_db=path)
    except DatabaseReadOnlyError as exc:
        queue.put(("readonly", str(exc)))
    except Exception as exc:  # pragma: no cover - reported to the parent
        queue.put((type(exc).__name__, str(exc)))
    else:  # pragma: no cover
        queue.put(("opened", ""))


def open_as_nobody(path: Path) -> tuple[str, str]:
    """Open a state DB at ``path`` in a child process running as an ordinary user."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_open_as_nobody, args=(str(path), queue))
    child.start()
    child.join(20)
    return queue.get(timeout=5)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder an unprivileged user can reach (pytest's tmp root is private)."""
    path = Path(tempfile.mkdtemp(prefix="syncdeck-ro-"))
    path.chmod(0o755)
    yield path
    path.chmod(0o755)
    shutil.rmtree(path, ignore_errors=True)


def test_state_db_in_read_only_folder(shared_dir: Path) -> None:
    folder = shared_dir / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    path = folder / "state.db"
    kind, message = open_as_nobody(path)
    assert kind == "readonly", message
    assert str(path) in message and "not writable" in message
    assert not path.exists()


def test_existing_state_db_not_writable(shared_dir: Path) -> None:
    path = shared_dir / "state.db"
    SyncEngine(IngestionPipeline(KnowledgeStore(":memory:")), state_db=path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    path.chmod(0o444)
    kind, message = open_as_nobody(path)
    assert kind == "readonly", message
    assert str(path) in message and "cannot be written" in message
    assert path.stat().st_size > 0
