"""A throwaway PostgreSQL cluster for the tests: ``initdb`` in a temporary folder (as the
``postgres`` user when running as root: initdb refuses root), listening on 127.0.0.1 on a
free port and on a unix socket in that folder. A password-authenticated role owns one fresh
database per test; the superuser connects through the socket for administration."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROLE = "deck"
PASSWORD = "pw-Zq8!secret"  # a test secret: every message must mask it
CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/local/pgsql/bin")


def find_bindir() -> Path | None:
    """PostgreSQL 15 as Debian installs it, else any installed version, else PATH."""
    explicit = os.environ.get("SYNCDECK_PG_BINDIR")
    others = sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin"))
    for candidate in ([explicit] if explicit else []) + [*CANDIDATES, *others]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        # in memory where there is room: creating and removing databases is then cheap
        shm = Path("/dev/shm")
        memory = shm.is_dir() and shutil.disk_usage(shm).free > 4 << 30
        self.base = Path(tempfile.mkdtemp(prefix="syncdeck-pg-", dir=shm if memory else None))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self._serial = 0
        if self.as_root:
            self.base.chmod(0o755)
            shutil.chown(self.base, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.base}'\n"
                "fsync = off\nfull_page_writes = off\nsynchronous_commit = on\n"
                "max_connections = 200\nshared_buffers = 64MB\n"
            )
        self.pg_ctl("start")
        self.admin(
            f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'",
        )

    def pg_ctl(self, action: str, *extra: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", action,
                  *extra)  # fmt: skip

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def admin(self, *statements: str, dbname: str = "postgres") -> list[tuple[object, ...]]:
        import psycopg

        rows: list[tuple[object, ...]] = []
        with psycopg.connect(
            host=str(self.base), port=self.port, user="postgres", dbname=dbname, autocommit=True
        ) as conn:
            for statement in statements:
                cur = conn.execute(statement)
                if cur.description is not None:
                    rows = cur.fetchall()
        return rows

    def url(self, dbname: str, *, password: str = PASSWORD, query: str = "") -> str:
        tail = f"?{query}" if query else ""
        return f"postgresql://{ROLE}:{password}@127.0.0.1:{self.port}/{dbname}{tail}"

    def new_database(self, *, tablespace: str | None = None) -> str:
        """A fresh, empty database owned by the test role; returns its name."""
        self._serial += 1
        name = f"t{os.getpid()}_{self._serial}_{int(time.time() * 1000) % 100000}"
        clause = f" TABLESPACE {tablespace}" if tablespace else ""
        self.admin(f"CREATE DATABASE {name} OWNER {ROLE} TEMPLATE template0{clause}")
        return name

    def terminate(self, dbname: str, application_name: str = "syncdeck") -> int:
        """Kill every backend of ``dbname`` (a dropped connection, as a DBA or a network
        cut would); returns how many."""
        rows = self.admin(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE datname = '{dbname}' AND application_name = '{application_name}'"
        )
        return int(rows[0][0])  # type: ignore[call-overload]
