"""Fixtures shared by every test folder: the PostgreSQL cluster (one per session) and the
``backend`` fixture that runs a contract test against both backends.

A test that needs the real server skips only when no PostgreSQL binaries or no driver
exist here, with a loud reason; with SYNCDECK_REQUIRE_SERVERS=1 (CI) it fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pg_cluster import Cluster, find_bindir


def _unavailable(reason: str) -> None:
    if os.environ.get("SYNCDECK_REQUIRE_SERVERS") == "1":
        pytest.fail(f"PostgreSQL is required here (SYNCDECK_REQUIRE_SERVERS=1): {reason}")
    pytest.skip(f"NO POSTGRESQL: {reason} - the PostgreSQL tests did not run")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[test]')")
    bindir = find_bindir()
    if bindir is None:
        _unavailable("no initdb found (apt-get install postgresql, or set SYNCDECK_PG_BINDIR)")
    cluster = Cluster(bindir)  # type: ignore[arg-type]
    try:
        cluster.start()
    except Exception as exc:
        cluster.stop()
        _unavailable(f"the throwaway cluster did not start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a fresh database of the test cluster."""
    return pg_cluster.url(pg_cluster.new_database())


DECK_TABLES = (
    "documents",
    "connectors",
    "sync_state",
    "sync_runs",
    "checkpoint_history",
    "rejected_documents",
)


@dataclass
class Backend:
    """Where a test's knowledge store and state live: two SQLite files, or one PostgreSQL
    database for both. ``fresh()`` gives another, empty pair (one per hypothesis example)."""

    name: str
    folder: Path
    cluster: Cluster | None = None
    _count: int = 0
    _database: str | None = None

    def fresh(self) -> tuple[str, str]:
        self._count += 1
        if self.cluster is None:
            folder = self.folder / f"deck{self._count}"
            folder.mkdir()
            return str(folder / "knowledge.db"), str(folder / "state.db")
        if self._database is None:
            self._database = self.cluster.new_database()
        else:  # emptied in place, with a new store id: much faster than a new database
            self.cluster.admin(
                f"TRUNCATE {', '.join(DECK_TABLES)} RESTART IDENTITY",
                "UPDATE store_meta SET value = md5(random()::text)",
                dbname=self._database,
            )
        url = self.cluster.url(self._database)
        return url, url

    @property
    def is_postgres(self) -> bool:
        return self.cluster is not None


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "postgres":
        return Backend("postgres", tmp_path, request.getfixturevalue("pg_cluster"))
    return Backend("sqlite", tmp_path)


@pytest.fixture
def locations(backend: Backend) -> tuple[str, str]:
    """The (store, state) locations of this test on its backend."""
    return backend.fresh()
