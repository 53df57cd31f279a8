"""Every built-in connector passes ``check`` over its sample data: the notes folder, the
mailbox, the chat export, the feed and the calendar shipped in the package, a small Obsidian
vault, a SQLite file, a paginated JSON API on 127.0.0.1, a Dovecot IMAP server on 127.0.0.1
and the synthetic demo source."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from servers.dovecot import REQUIRE_ENV, Dovecot, unavailable_reason

from syncdeck.app.demo import sample_data_dir
from syncdeck.devkit.report import Status
from syncdeck.devkit.runner import run_checks
from syncdeck.devkit.target import type_target

SAMPLES = sample_data_dir()
BASE = datetime(2024, 7, 1, tzinfo=UTC)
API_TOKEN = "Bearer api-s3cret-value"
RECORDS = [
    {
        "id": n,
        "body": f"record {n} about the release",
        "name": f"Record {n}",
        "when": (BASE + timedelta(hours=n)).isoformat().replace("+00:00", "Z"),
    }
    for n in range(1, 12)
]


class _Api(BaseHTTPRequestHandler):
    """Four records a page, a next-page token, and ``updated_after`` honoured."""

    def do_GET(self) -> None:
        query = dict(parse_qsl(urlsplit(self.path).query))
        if self.headers.get("Authorization") != API_TOKEN:
            self._send(401, {"error": "unauthorized"})
            return
        records = RECORDS
        if "updated_after" in query:
            records = [r for r in RECORDS if r["when"] > query["updated_after"]]
        start = int(query.get("page_token", "0"))
        after = start + 4
        page = records[start:after]
        self._send(200, {"items": page, "next": str(after) if after < len(records) else None})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/items"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def notes_db(tmp_path: Path) -> Path:
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, title TEXT, updated_at TEXT)"
        )
        conn.executemany(
            "INSERT INTO notes VALUES (?, ?, ?, ?)",
            [
                (n, f"body of note {n}", f"Note {n}", (BASE + timedelta(minutes=n)).isoformat())
                for n in range(1, 31)
            ],
        )
    conn.close()
    return path


@pytest.fixture
def imap_account() -> Iterator[dict[str, Any]]:
    """A Dovecot server with one account holding a few messages (skipped, loudly, where
    Dovecot cannot run; failing instead under SYNCDECK_REQUIRE_SERVERS)."""
    reason = unavailable_reason()
    server = Dovecot() if reason is None else None
    try:
        if server is not None:
            server.start()
    except (RuntimeError, OSError) as exc:
        reason = f"dovecot would not start: {exc}"
    if reason is not None:
        if server is not None:
            server.stop()
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{REQUIRE_ENV} is set but Dovecot cannot run: {reason}")
        warnings.warn(f"IMAP CHECK SKIPPED: {reason}", stacklevel=2)
        pytest.skip(f"IMAP CHECK SKIPPED: {reason}")
    assert server is not None
    user, password = server.add_user()
    messages = []
    for n in range(1, 9):
        msg = EmailMessage()
        msg["From"] = f"Ada <ada{n % 3}@example.org>"
        msg["To"] = "team@example.org"
        msg["Subject"] = f"Status update {n}"
        msg["Date"] = format_datetime(BASE + timedelta(hours=n))
        msg["Message-ID"] = f"<msg-{n}@example.org>"
        msg.set_content(f"Hello team, this is update number {n}.")
        messages.append(msg.as_bytes())
    server.append(user, "INBOX", messages)
    try:
        yield {
            "host": "127.0.0.1",
            "username": user,
            "password": password,
            "port": server.imaps_port,
            "ca_file": str(server.ca_file),
            "batch_size": 3,
            "backoff": 0.01,
            "max_wait": 0.05,
            "timeout": 10.0,
        }
    finally:
        server.stop()


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)
    (root / ".obsidian" / "app.json").write_text("{}")
    (root / "projects").mkdir()
    for n in range(1, 7):
        folder = root / "projects" if n % 2 else root
        (folder / f"note {n}.md").write_text(
            f"---\ntitle: Note {n}\ntags: [work, n{n}]\ncreated: 2024-05-0{n}\n---\n"
            f"# Note {n}\n\nSee [[note {n % 6 + 1}|the next one]] and #topic/{n}.\n"
        )
    return root


def builtin_params(name: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    if name == "filesystem":
        return {"path": str(SAMPLES / "notes")}
    if name == "mailbox":
        return {"path": str(SAMPLES / "mail.mbox")}
    if name == "jsonl":
        return {"path": str(SAMPLES / "chat.jsonl")}
    if name == "sqlite":
        db = request.getfixturevalue("notes_db")
        return {
            "path": str(db),
            "table": "notes",
            "content_column": "body",
            "title_column": "title",
            "timestamp_column": "updated_at",
            "page_size": 7,
        }
    if name == "http":
        return {
            "url": request.getfixturevalue("api"),
            "items_path": "items",
            "content_field": "body",
            "title_field": "name",
            "timestamp_field": "when",
            "pagination": "next_token",
            "token_field": "next",
            "since_param": "updated_after",
            "headers": {"Authorization": API_TOKEN},
            "timeout": 5.0,
        }
    if name == "feed":
        return {"urls": [str(SAMPLES / "engineering-blog.rss")]}
    if name == "calendar":
        return {"urls": [str(SAMPLES / "team-calendar.ics")]}
    if name == "imap":
        return request.getfixturevalue("imap_account")
    if name == "obsidian":
        return {"path": str(request.getfixturevalue("vault"))}
    assert name == "demo"
    return {"count": 60, "checkpoint_every": 10}


BUILTINS = [
    "filesystem",
    "obsidian",
    "mailbox",
    "jsonl",
    "sqlite",
    "http",
    "feed",
    "calendar",
    "imap",
    "demo",
]


def test_every_builtin_type_is_covered() -> None:
    from syncdeck.app.context import builtin_types

    assert sorted(builtin_types()) == sorted(BUILTINS)


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_connector_passes_check(name: str, request: pytest.FixtureRequest) -> None:
    target = type_target(name, builtin_params(name, request))
    report = run_checks(target.factory, type_name=name)
    assert report.ok, report.render()
    statuses = {r.id: r.status for r in report.results}
    # the checks that matter most applied, and passed
    for check_id in ("full-read", "stable", "checkpoints", "resume", "interrupt", "incremental"):
        assert statuses[check_id] is Status.PASSED, (check_id, report.render())
    assert report.settings["documents"] > 5
    if name in ("http", "imap"):
        # the Authorization header, the password: secrets the check looked for
        assert statuses["secrets"] is Status.PASSED
