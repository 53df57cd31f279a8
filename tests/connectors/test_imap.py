"""The imap connector against a real Dovecot server on 127.0.0.1 (tests/servers/dovecot.py).

Without Dovecot these tests are skipped with a warning saying why; with
SYNCDECK_REQUIRE_SERVERS=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from servers.dovecot import REQUIRE_ENV, Dovecot, unavailable_reason
from servers.tcp_proxy import CuttingProxy

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.imap import ImapConnector
from syncdeck.connectors.imap_utf7 import decode_folder, encode_folder
from syncdeck.core.documents import Checkpoint, Deleted, Document
from syncdeck.core.errors import ConfigError

from .conftest import assert_aware_utc, run
from .stored import FakeStored

BASE = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)
TRICKY_PASSWORD = 'p"ä ss\\wörd-99'  # quotes, a space, a backslash, non-ASCII


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{REQUIRE_ENV} is set but Dovecot cannot run: {reason}")
    warnings.warn(f"IMAP TESTS SKIPPED: {reason}", stacklevel=2)
    pytest.skip(f"IMAP TESTS SKIPPED: {reason}")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    reason = unavailable_reason()
    if reason:
        _unavailable(reason)
    server = Dovecot(passwords=(TRICKY_PASSWORD,))
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        server.stop()
        _unavailable(f"dovecot would not start: {exc}")
    yield server
    server.stop()


@dataclass
class Account:
    server: Dovecot
    user: str
    password: str

    def connector(self, **params: Any) -> ImapConnector:
        defaults: dict[str, Any] = {
            "port": self.server.imaps_port,
            "ca_file": self.server.ca_file,
            "backoff": 0.01,
            "max_wait": 0.05,
            "timeout": 10.0,
        }
        connector = ImapConnector("127.0.0.1", self.user, self.password, **{**defaults, **params})
        connector.connector_id = "mail"
        return connector

    def deliver(self, folder: str, messages: list[bytes], flags: str = "") -> None:
        self.server.append(self.user, folder, messages, flags)

    def bodies_fetched_by_last_session(self, sessions: int) -> int:
        return self.server.fetched_bodies(self.user, sessions=sessions)[-1]


@pytest.fixture
def account(dovecot: Dovecot) -> Iterator[Account]:
    user, password = dovecot.add_user()
    yield Account(dovecot, user, password)
    # shown by pytest only when the test failed
    print("\n".join(line for line in dovecot.log().splitlines() if user in line))


def message(n: int, *, thread: int | None = None, html: bool = False) -> bytes:
    """A realistic message: names, recipients, an encoded subject, threads, parts."""
    msg = EmailMessage()
    msg["From"] = f"Ada Lovelace <ada{n % 3}@example.org>"
    msg["To"] = "Team <team@example.org>, bob@example.org"
    if n % 4 == 0:
        msg["Cc"] = "carol@example.net"
    msg["Subject"] = f"Réunion n°{n}: planning" if n % 5 == 0 else f"Status update {n}"
    msg["Date"] = format_datetime(BASE + timedelta(hours=n))
    msg["Message-ID"] = f"<msg-{n}@example.org>"
    if thread is not None:
        msg["In-Reply-To"] = f"<msg-{thread}@example.org>"
        msg["References"] = f"<msg-{thread}@example.org>"
    text = f"Hello team,\n\nthis is update number {n}.\n" + "Lorem ipsum dolor. " * (n % 7 + 20)
    msg.set_content(text)
    if html:
        msg.add_alternative(f"<html><body><p>Update <b>{n}</b></p></body></html>", subtype="html")
    if n % 6 == 1:
        msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                           filename=f"report-{n}.pdf")  # fmt: skip
    return bytes(msg).replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")


def messages(numbers: range) -> list[bytes]:
    return [message(n, thread=n - 1 if n % 3 == 2 else None, html=n % 2 == 0) for n in numbers]


def docs_of(items: list[object]) -> list[Document]:
    return [item for item in items if isinstance(item, Document)]


def deleted_of(items: list[object]) -> list[str]:
    return [item.doc_id for item in items if isinstance(item, Deleted)]


def validity(account: Account, folder: str = "INBOX") -> int:
    return account.server.uidvalidity(account.user, folder)


# --- first sync ---------------------------------------------------------------------------


def test_first_sync_maps_messages_folders_and_flags(account: Account) -> None:
    account.deliver("INBOX", messages(range(1, 10)))
    account.deliver("INBOX", messages(range(10, 13)), flags="(\\Seen \\Flagged)")
    account.deliver("Archive/2024", [message(3), message(40)])  # message 3 in two folders
    imap = account.connector(folders=["INBOX", "Archive/2024"], batch_size=5)
    result = run(imap)
    inbox, archive = validity(account), validity(account, "Archive/2024")
    assert result.ids == [f"INBOX/{inbox}/{uid}" for uid in range(1, 13)] + [
        f"Archive/2024/{archive}/1",
        f"Archive/2024/{archive}/2",
    ]
    assert [json.loads(c) for c in result.cursors] == [
        {"INBOX": {"uidvalidity": inbox, "uid": 5}},
        {"INBOX": {"uidvalidity": inbox, "uid": 10}},
        {"INBOX": {"uidvalidity": inbox, "uid": 12}},
        {
            "INBOX": {"uidvalidity": inbox, "uid": 12},
            "Archive/2024": {"uidvalidity": archive, "uid": 2},
        },
    ]
    docs = {doc.doc_id: doc for doc in result.docs}
    first = docs[f"INBOX/{inbox}/1"]
    assert first.source == "mail" and first.doc_type == "email"
    assert first.title == "Status update 1"
    assert first.author == "Ada Lovelace <ada1@example.org>"
    assert first.participants == ["team@example.org", "bob@example.org"]
    assert first.timestamp == BASE + timedelta(hours=1)
    assert "this is update number 1." in first.content
    assert first.metadata["attachments"][0]["filename"] == "report-1.pdf"
    assert first.metadata["folder"] == "INBOX"
    assert first.metadata["uid"] == 1 and first.metadata["uidvalidity"] == inbox
    assert first.metadata["message_id"] == "msg-1@example.org"
    assert first.metadata["flags"] == []  # \Recent is per session, never recorded
    assert docs[f"INBOX/{inbox}/11"].metadata["flags"] == ["\\Flagged", "\\Seen"]
    assert docs[f"INBOX/{inbox}/5"].title == "Réunion n°5: planning"
    assert docs[f"INBOX/{inbox}/2"].thread_id == "msg-1@example.org"
    # the copy in the archive is its own document, in the same thread as the original
    copy = docs[f"Archive/2024/{archive}/1"]
    assert copy.metadata["message_id"] == first.metadata["message_id"].replace("1@", "3@")
    assert copy.content == docs[f"INBOX/{inbox}/3"].content
    assert copy.metadata["folder"] == "Archive/2024"
    assert_aware_utc(result.docs)
    # nothing was marked read by the sync
    client = account.server.client(account.user)
    client.select("INBOX", readonly=True)
    _, data = client.uid("SEARCH", "UNSEEN")
    client.logout()
    assert data[0].split() == [str(uid).encode() for uid in range(1, 10)]


def test_the_same_mail_parses_as_in_the_mailbox_connector(account: Account, tmp_path: Path) -> None:
    from syncdeck.connectors.mailbox import MailboxConnector

    raw = messages(range(1, 6))
    account.deliver("INBOX", raw)
    mbox = tmp_path / "same.mbox"
    mbox.write_bytes(
        b"".join(
            b"From x@y Mon Jan  1 00:00:00 2024\n" + m.replace(b"\r\n", b"\n") + b"\n" for m in raw
        )
    )
    from_imap = run(account.connector()).docs
    from_mbox = run(MailboxConnector(mbox)).docs
    for a, b in zip(from_imap, from_mbox, strict=True):
        assert (a.title, a.author, a.participants, a.timestamp, a.thread_id) == (
            b.title,
            b.author,
            b.participants,
            b.timestamp,
            b.thread_id,
        )
        assert a.content.replace("\r\n", "\n") == b.content
        assert a.metadata["message_id"] == b.doc_id


# --- incremental sync and deletions ---------------------------------------------------


def test_new_mail_is_all_the_next_run_fetches(account: Account) -> None:
    account.deliver("INBOX", messages(range(1, 11)))
    imap = account.connector(batch_size=4)
    first = run(imap)
    # sessions so far: the delivery, the sync
    assert account.bodies_fetched_by_last_session(2) == 10
    account.deliver("INBOX", messages(range(11, 14)))
    second = run(imap, cursor=first.cursor)
    inbox = validity(account)
    assert second.ids == [f"INBOX/{inbox}/{uid}" for uid in (11, 12, 13)]
    # Dovecot's own count: the second session sent the bodies of the three new messages only
    assert account.bodies_fetched_by_last_session(4) == 3
    assert json.loads(second.cursor) == {"INBOX": {"uidvalidity": inbox, "uid": 13}}
    third = run(imap, cursor=second.cursor)
    assert third.items == []  # nothing new, nothing gone: not even a checkpoint


def test_expunged_messages_are_reported_deleted(account: Account) -> None:
    account.deliver("INBOX", messages(range(1, 9)))
    account.deliver("Lists", messages(range(20, 23)))
    imap = account.connector(folders=["INBOX", "Lists"])
    first = list(imap.sync(since=None, cursor=None))
    imap.stored = FakeStored(first)
    cursor = [i for i in first if isinstance(i, Checkpoint)][-1].cursor
    account.server.expunge(account.user, "INBOX", [2, 5, 8])
    second = list(imap.sync(since=None, cursor=cursor))
    inbox = validity(account)
    assert deleted_of(second) == [f"INBOX/{inbox}/{uid}" for uid in (2, 5, 8)]
    assert docs_of(second) == []
    assert isinstance(second[-1], Checkpoint)  # the deletions are covered by a checkpoint
    imap.stored.apply(second)
    assert len(imap.stored) == 8  # 5 left in INBOX, Lists untouched
    assert list(imap.sync(since=None, cursor=second[-1].cursor)) == []


def test_a_uidvalidity_change_refetches_the_folder_then_deletes_the_old_ids(
    account: Account,
) -> None:
    account.deliver("INBOX", messages(range(1, 7)))
    imap = account.connector(batch_size=4)
    first = list(imap.sync(since=None, cursor=None))
    imap.stored = FakeStored(first)
    old = validity(account)
    account.server.doveadm("mailbox", "update", "-u", account.user, "--uid-validity",
                           str(old + 1000), "INBOX")  # fmt: skip
    cursor = [i for i in first if isinstance(i, Checkpoint)][-1].cursor
    second = list(imap.sync(since=None, cursor=cursor))
    new = old + 1000
    assert [d.doc_id for d in docs_of(second)] == [f"INBOX/{new}/{uid}" for uid in range(1, 7)]
    assert deleted_of(second) == [f"INBOX/{old}/{uid}" for uid in range(1, 7)]
    # every new copy comes before the first deletion: the store never lacks a message
    kinds = [type(item).__name__ for item in second if not isinstance(item, Checkpoint)]
    assert kinds == ["Document"] * 6 + ["Deleted"] * 6
    assert json.loads(second[-1].cursor) == {"INBOX": {"uidvalidity": new, "uid": 6}}
    imap.stored.apply(second)
    assert sorted(imap.stored.ids()) == sorted(f"INBOX/{new}/{uid}" for uid in range(1, 7))


def test_a_connection_cut_mid_fetch_resumes_after_the_last_uid(account: Account) -> None:
    account.deliver("INBOX", messages(range(1, 31)))
    # plain IMAP through the proxy, so the byte count is that of the messages themselves
    proxy = CuttingProxy(("127.0.0.1", account.server.imap_port), cut_after=30_000)
    waits: list[float] = []
    try:
        imap = account.connector(port=proxy.port, tls="none", batch_size=5)
        imap.sleep = waits.append
        result = run(imap)
    finally:
        proxy.close()
    inbox = validity(account)
    assert proxy.cut == 1 and proxy.connections == 2
    assert waits == [0.01]  # one reconnection, after the first backoff
    assert result.ids == [f"INBOX/{inbox}/{uid}" for uid in range(1, 31)]  # once each, in order
    cursors = [json.loads(c)["INBOX"]["uid"] for c in result.cursors]
    assert cursors == [5, 10, 15, 20, 25, 30]
    # the second session fetched only from the interrupted batch on
    fetched = account.server.fetched_bodies(account.user, sessions=3)
    cut_session, resumed = fetched[-2], fetched[-1]
    kept = 30 - resumed  # yielded before the cut: whole batches
    assert 0 < kept < 30 and kept % 5 == 0
    assert kept < cut_session <= kept + 5  # the cut batch was re-fetched, nothing earlier


def test_a_uidvalidity_change_seen_on_reconnecting_restarts_the_folder(account: Account) -> None:
    account.deliver("INBOX", messages(range(1, 21)))
    old = validity(account)

    def reset() -> None:
        account.server.doveadm("mailbox", "update", "-u", account.user, "--uid-validity",
                               str(old + 3), "INBOX")  # fmt: skip

    proxy = CuttingProxy(("127.0.0.1", account.server.imap_port), cut_after=12_000, on_cut=reset)
    try:
        imap = account.connector(port=proxy.port, tls="none", batch_size=4)
        imap.sleep = lambda seconds: None
        result = run(imap)
    finally:
        proxy.close()
    assert proxy.cut == 1
    before = [i for i in result.ids if i.startswith(f"INBOX/{old}/")]
    after = [i for i in result.ids if i.startswith(f"INBOX/{old + 3}/")]
    assert 0 < len(before) < 20 and len(before) % 4 == 0  # whole batches, then the reset
    assert after == [f"INBOX/{old + 3}/{uid}" for uid in range(1, 21)]  # all, under new ids
    assert json.loads(result.cursor) == {"INBOX": {"uidvalidity": old + 3, "uid": 20}}


def test_reconnections_give_up_with_a_clear_error(account: Account) -> None:
    proxy = CuttingProxy(("127.0.0.1", account.server.imap_port), cut_after=10, cuts=10)
    waits: list[float] = []
    try:
        imap = account.connector(port=proxy.port, tls="none", max_retries=2, backoff=0.5)
        imap.sleep = waits.append
        with pytest.raises(SourceError, match=r"connection failed 3 times, giving up") as info:
            run(imap)
    finally:
        proxy.close()
    assert waits == [0.05, 0.05]  # backoff 0.5, 1.0 capped at max_wait
    assert account.password not in str(info.value)


# --- errors and secrets -------------------------------------------------------------------


def test_a_wrong_password_is_a_clear_error_without_the_password(account: Account) -> None:
    imap = ImapConnector(
        "127.0.0.1",
        account.user,
        "Wrong-Pass-991",
        port=account.server.imaps_port,
        ca_file=account.server.ca_file,
    )
    waits: list[float] = []
    imap.sleep = waits.append
    with pytest.raises(SourceError, match=r"refused the login .*AUTHENTICATIONFAILED") as info:
        run(imap)
    assert "Wrong-Pass-991" not in str(info.value)
    assert f"{account.user}@127.0.0.1" in str(info.value)
    assert waits == []  # not retried


def test_cli_sync_with_a_wrong_password_exits_1_and_never_prints_it(
    account: Account, tmp_path: Path
) -> None:
    secret = "Not-The-Password-5521"
    config = tmp_path / "syncdeck.toml"
    config.write_text(
        f"""
[connectors.work-mail]
type = "imap"
host = "127.0.0.1"
port = {account.server.imaps_port}
username = "{account.user}"
password = "${{IMAP_PASSWORD}}"
ca_file = "{account.server.ca_file}"
"""
    )
    env = {**os.environ, "IMAP_PASSWORD": secret}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "syncdeck.cli.main",
            "--config",
            str(config),
            "--data-dir",
            str(tmp_path / "data"),
            "sync",
            "work-mail",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused the login" in result.stdout + result.stderr
    assert secret not in result.stdout + result.stderr
    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "syncdeck.cli.main",
            "--config",
            str(config),
            "--data-dir",
            str(tmp_path / "data"),
            "status",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert secret not in status.stdout + status.stderr


def test_an_untrusted_certificate_is_refused_without_ca_file(account: Account) -> None:
    imap = account.connector(ca_file=None)
    waits: list[float] = []
    imap.sleep = waits.append
    with pytest.raises(SourceError, match=r"certificate is not trusted .*set ca_file"):
        run(imap)
    assert waits == []
    starttls = account.connector(ca_file=None, tls="starttls", port=account.server.imap_port)
    with pytest.raises(SourceError, match=r"certificate is not trusted"):
        run(starttls)


def test_starttls_and_plain_connections(account: Account) -> None:
    account.deliver("INBOX", messages(range(1, 4)))
    starttls = account.connector(tls="starttls", port=account.server.imap_port)
    assert len(run(starttls).docs) == 3
    plain = account.connector(tls="none", port=account.server.imap_port)
    assert len(run(plain).docs) == 3
    assert starttls.describe().endswith("(starttls): INBOX")


def test_a_password_with_quotes_and_accents_logs_in(dovecot: Dovecot) -> None:
    user, password = dovecot.add_user(TRICKY_PASSWORD)
    account = Account(dovecot, user, password)
    account.deliver("INBOX", messages(range(1, 3)))
    assert len(run(account.connector()).docs) == 2


def test_a_missing_folder_is_an_error_naming_the_folders_there(account: Account) -> None:
    account.deliver("Projects", messages(range(1, 2)))
    with pytest.raises(SourceError, match=r"cannot open folder 'Projekts'.*INBOX, Projects"):
        run(account.connector(folders=["Projekts"]))


def test_modified_utf7_folder_names() -> None:
    assert encode_folder("Entwürfe") == "Entw&APw-rfe"
    assert encode_folder("R&D ~ 日本") == "R&-D ~ &ZeVnLA-"
    for name in ("Entwürfe", "R&D ~ 日本", "plain", "&", "Ünïcødé/Sub"):
        assert decode_folder(encode_folder(name)) == name


def test_non_ascii_folder_names(account: Account) -> None:
    account.deliver(encode_folder("Entwürfe"), messages(range(1, 3)))
    result = run(account.connector(folders=["Entwürfe"]))
    assert [doc.metadata["folder"] for doc in result.docs] == ["Entwürfe", "Entwürfe"]


def test_the_password_is_never_shown(account: Account) -> None:
    account.deliver("INBOX", messages(range(1, 3)))
    imap = account.connector()
    result = run(imap)
    shown = [repr(imap), imap.describe(), *map(str, result.cursors), str(vars(imap).keys())]
    assert not any(account.password in text for text in shown)
    assert imap.secret_values == (account.password,)  # what the engine masks


def test_parameters_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'tls'"):
        ImapConnector("h", "u", "p", tls="tls")
    with pytest.raises(ConfigError, match="'password'"):
        ImapConnector("h", "u", "")
    with pytest.raises(ConfigError, match=r"'ca_file'.*does not exist"):
        ImapConnector("h", "u", "p", ca_file=tmp_path / "none.pem")
    with pytest.raises(ConfigError, match="'folders'"):
        ImapConnector("h", "u", "p", folders=[])
    assert ImapConnector("h", "u", "p").port == 993
    assert ImapConnector("h", "u", "p", tls="starttls").port == 143


def test_a_hand_edited_cursor_is_reported() -> None:
    imap = ImapConnector("127.0.0.1", "me", "pw-1234", port=1)  # never reached
    for cursor in ('{"INBOX": {"uid": 4}}', "12", '{"INBOX": {"uidvalidity": 1, "uid": -1}}'):
        with pytest.raises(CursorError, match="uidvalidity"):
            run(imap, cursor=cursor)


# --- through the engine into a real store -------------------------------------------------


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[SyncEngine, KnowledgeStore]]:
    store = KnowledgeStore(tmp_path / "knowledge.db")
    with SyncEngine(IngestionPipeline(store), state_db=tmp_path / "state.db") as sync_engine:
        yield sync_engine, store
    store.close()


def test_expunged_mail_leaves_the_store(
    account: Account, engine: tuple[SyncEngine, KnowledgeStore]
) -> None:
    sync_engine, store = engine
    account.deliver("INBOX", messages(range(1, 11)))
    assert sync_engine.sync(account.connector(batch_size=3)) == 10
    account.server.expunge(account.user, "INBOX", [1, 2, 3, 4, 5, 6, 7])  # most of it
    account.deliver("INBOX", messages(range(11, 12)))
    assert sync_engine.sync(account.connector(batch_size=3)) == 1
    record = sync_engine.runs("mail")[0]
    assert record.status == "succeeded" and record.counts.deleted == 7
    inbox = validity(account)
    remaining = sorted(int(d.rsplit("/", 1)[1]) for d in store_ids(store))
    assert remaining == [8, 9, 10, 11]
    assert store.get("mail", f"INBOX/{inbox}/1") is None
    assert sync_engine.get_checkpoint("mail")["items_synced"] == 4


def test_a_uidvalidity_reset_resyncs_without_tripping_the_deletion_guard(
    account: Account, engine: tuple[SyncEngine, KnowledgeStore]
) -> None:
    sync_engine, store = engine
    account.deliver("INBOX", messages(range(1, 9)))
    sync_engine.sync(account.connector())
    old = validity(account)
    account.server.doveadm("mailbox", "update", "-u", account.user, "--uid-validity",
                           str(old + 7), "INBOX")  # fmt: skip
    sync_engine.sync(account.connector())  # every stored id is replaced: no guard involved
    record = sync_engine.runs("mail")[0]
    assert record.status == "succeeded" and record.deletes_held == 0
    assert (record.counts.inserted, record.counts.deleted) == (8, 8)
    assert sorted(store_ids(store)) == sorted(f"INBOX/{old + 7}/{uid}" for uid in range(1, 9))
    assert sync_engine.get_checkpoint("mail")["items_synced"] == 8


def test_a_cut_connection_through_the_engine_loses_and_repeats_nothing(
    account: Account, engine: tuple[SyncEngine, KnowledgeStore]
) -> None:
    sync_engine, store = engine
    account.deliver("INBOX", messages(range(1, 41)))
    proxy = CuttingProxy(("127.0.0.1", account.server.imap_port), cut_after=15_000, cuts=2)
    try:
        imap = account.connector(port=proxy.port, tls="none", batch_size=4)
        assert sync_engine.sync(imap) == 40
    finally:
        proxy.close()
    assert proxy.cut == 2
    record = sync_engine.runs("mail")[0]
    assert record.counts.documents == 40 and record.counts.inserted == 40
    assert store.count(source="mail") == 40


def store_ids(store: KnowledgeStore) -> list[str]:
    return store.ids("mail")
