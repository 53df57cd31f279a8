"""The mailbox connector on real mbox files and Maildir folders."""

from __future__ import annotations

import json
import mailbox
import os
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from syncdeck.connectors import mailbox as mailbox_module
from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.mailbox import MailboxConnector, message_document
from syncdeck.connectors.mailbox_listing import message_key
from syncdeck.core.errors import ConfigError

from .conftest import MemoryStore, assert_aware_utc, run

BASE = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def message(
    n: int,
    *,
    subject: str = "",
    body: str = "",
    reply_to: int | None = None,
    root: int | None = None,
    html: str | None = None,
    attachment: bytes | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Person {n} <p{n}@example.org>"
    msg["To"] = "Ann <ann@example.org>, bob@example.org"
    msg["Cc"] = "carl@example.org"
    msg["Subject"] = subject or f"Subject {n}"
    msg["Date"] = format_datetime(BASE.replace(hour=9 + n))
    msg["Message-ID"] = f"<m{n}@example.org>"
    if reply_to is not None:
        msg["In-Reply-To"] = f"<m{reply_to}@example.org>"
        msg["References"] = f"<m{root or reply_to}@example.org> <m{reply_to}@example.org>"
    msg.set_content(body or f"Body of message {n}.\n")
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="text", subtype="csv", filename="data.csv")
    for depth, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"boundary-{n}-{depth}")  # not random: same message, same bytes
    return msg


MALFORMED = (
    b"From: =?utf-8?q?broken\n"
    b"To: <<<not an address\n"
    b"Subject: Still readable\n"
    b"Date: the day after tomorrow\n"
    b"Content-Type: text/plain; charset=x-unknown-charset\n"
    b"Content-Transfer-Encoding: base64\n"
    b"\n"
    b"SGVsbG8gd29ybGQ=!!!not base64\n"
)


def write_mbox(path: Path, messages: list[EmailMessage | bytes]) -> Path:
    box = mailbox.mbox(path)
    for item in messages:
        box.add(item)
    box.flush()
    box.close()
    return path


def five_messages(last_body: str = "") -> list[EmailMessage | bytes]:
    return [
        message(1, subject="Plan"),
        message(2, subject="Re: Plan", reply_to=1),
        message(3, subject="Re: Plan", reply_to=2, root=1),
        message(4, subject="Report", html="<p>The <b>HTML</b> part</p>", attachment=b"a,b\n1,2\n"),
        message(5, subject="Later", body=last_body),
    ]


@pytest.fixture
def mbox(tmp_path: Path) -> Path:
    return write_mbox(tmp_path / "mail.mbox", five_messages())


def test_full_sync_maps_messages(mbox: Path) -> None:
    connector = MailboxConnector(mbox)
    connector.connector_id = "mail"
    result = run(connector)
    assert result.ids == [f"m{n}@example.org" for n in range(1, 6)]
    first, second, third, report, _ = result.docs
    assert first.title == "Plan"
    assert first.author == "Person 1 <p1@example.org>"
    assert first.participants == ["ann@example.org", "bob@example.org", "carl@example.org"]
    assert first.timestamp == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert first.content == "Body of message 1."
    assert first.source == "mail"
    assert first.doc_type == "email"
    assert [first.thread_id, second.thread_id, third.thread_id] == ["m1@example.org"] * 3
    assert third.metadata["in_reply_to"] == "m2@example.org"
    assert report.thread_id == "m4@example.org"
    assert report.content == "Body of message 4."  # text/plain preferred over HTML
    assert report.metadata["attachments"] == [
        {"filename": "data.csv", "content_type": "text/csv", "size": 8}
    ]
    assert "defects" not in report.metadata
    assert_aware_utc(result.docs)
    assert result.cursors == ['{"count":5}']
    assert result.complete
    assert len({doc.version for doc in result.docs}) == 5


def test_html_only_message_is_reduced_to_text(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["Subject"] = "News"
    msg["Message-ID"] = "<news@example.org>"
    msg["Date"] = format_datetime(BASE)
    msg.set_content("<html><body><h1>News</h1><p>Item <i>one</i></p></body></html>", "html")
    (doc,) = run(MailboxConnector(write_mbox(tmp_path / "m.mbox", [msg]))).docs
    assert doc.content == "News\n\nItem one"


def spy_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids (Message-ID headers) of the messages the connector parses from now on."""
    parsed: list[str] = []
    original = mailbox_module.message_document

    def counting(raw: bytes, **kwargs: Any) -> Any:
        document = original(raw, **kwargs)
        parsed.append(document.doc_id)
        return document

    monkeypatch.setattr(mailbox_module, "message_document", counting)
    return parsed


IDS = [f"m{n}@example.org" for n in range(1, 6)]


def test_an_unchanged_mbox_is_listed_without_parsing(
    mbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    store.sync(MailboxConnector(mbox))
    parsed = spy_parses(monkeypatch)
    again = store.sync(MailboxConnector(mbox))
    assert parsed == []
    assert again.unchanged == IDS and again.complete


def test_appended_mail_is_all_the_next_run_parses(
    mbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    store.sync(MailboxConnector(mbox))
    write_mbox(mbox, [message(6, reply_to=5)])  # mbox() appends to an existing file
    parsed = spy_parses(monkeypatch)
    again = store.sync(MailboxConnector(mbox))
    assert parsed == again.ids == ["m6@example.org"]
    assert sorted(store.docs) == sorted([*IDS, "m6@example.org"])


def test_a_message_removed_from_an_mbox_leaves_the_store_and_costs_no_parse(
    mbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    store.sync(MailboxConnector(mbox))
    box = mailbox.mbox(mbox)
    box.lock()
    box.remove(2)  # m3: the file is rewritten, every later message moves
    box.flush()
    box.close()
    parsed = spy_parses(monkeypatch)
    again = store.sync(MailboxConnector(mbox))
    assert parsed == []
    assert again.complete
    assert sorted(store.docs) == [i for i in IDS if i != "m3@example.org"]


def test_a_rewritten_mbox_parses_only_the_edited_message(
    mbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    store.sync(MailboxConnector(mbox))
    mbox.unlink()
    write_mbox(mbox, five_messages(last_body="Edited body.\n"))
    parsed = spy_parses(monkeypatch)
    again = store.sync(MailboxConnector(mbox))
    assert parsed == again.ids == ["m5@example.org"]
    assert store.docs["m5@example.org"].content == "Edited body."


def test_since_does_not_hide_old_mail(mbox: Path) -> None:
    store = MemoryStore()
    store.sync(MailboxConnector(mbox), since=datetime(2030, 1, 1, tzinfo=UTC))
    assert sorted(store.docs) == IDS  # a mirror lists everything, whatever its date


def test_messages_sharing_a_message_id_are_kept_apart_stably(tmp_path: Path) -> None:
    original = message(1, subject="Plan", body="Sent copy.\n")
    cross_post = message(1, subject="Plan", body="Received copy.\n")
    path = write_mbox(tmp_path / "dup.mbox", [original, message(2), cross_post])
    with path.open("ab") as fh:  # a byte-identical copy (its From_ line may differ)
        fh.write(path.read_bytes().split(b"\nFrom ")[0] + b"\n")
    store = MemoryStore()
    first = store.sync(MailboxConnector(path))
    assert len(first.ids) == 4 and len(set(first.ids)) == 4
    plain = [i for i in first.ids if "#" not in i]
    assert plain == ["m2@example.org"]
    shared = [i for i in first.ids if i.startswith("m1@example.org#")]
    assert len(shared) == 3
    assert shared[2] == shared[0] + "-2"  # the identical copy
    bodies = sorted(doc.content for doc in first.docs if doc.doc_id in shared)
    assert bodies == ["Received copy.", "Sent copy.", "Sent copy."]
    assert {doc.thread_id for doc in first.docs if doc.doc_id in shared} == {"m1@example.org"}
    again = store.sync(MailboxConnector(path))
    assert again.unchanged == first.ids  # the same ids every run


def test_a_vanished_mbox_fails_and_an_emptied_one_lists_nothing(mbox: Path) -> None:
    store = MemoryStore()
    connector = MailboxConnector(mbox)
    store.sync(connector)
    moved = mbox.with_suffix(".moved")
    mbox.rename(moved)
    with pytest.raises(SourceError, match=r"mailbox .* is missing"):
        store.sync(connector)
    assert sorted(store.docs) == IDS
    moved.rename(mbox)
    mbox.write_bytes(b"")
    emptied = run(connector)
    assert emptied.listed == [] and emptied.complete  # the engine's guard keeps the store


def test_malformed_messages_do_not_stop_the_sync(tmp_path: Path) -> None:
    no_id = message(7)
    del no_id["Message-ID"]
    path = write_mbox(tmp_path / "bad.mbox", [message(1), MALFORMED, no_id, message(2)])
    result = run(MailboxConnector(path))
    assert len(result.docs) == 4
    ok1, broken, anonymous, ok2 = result.docs
    assert (ok1.doc_id, ok2.doc_id) == ("m1@example.org", "m2@example.org")
    assert broken.title == "Still readable"
    assert broken.doc_id.startswith("sha256:")
    assert "UnparsableDate" in broken.metadata["defects"]
    assert broken.timestamp.tzinfo == UTC  # the mbox From_ line's time
    assert anonymous.doc_id.startswith("sha256:")
    assert anonymous.thread_id == anonymous.doc_id
    assert anonymous.content == "Body of message 7."
    # The hash id is stable: a second read gives the same ids.
    assert run(MailboxConnector(path)).ids == result.ids
    assert_aware_utc(result.docs)


def maildir_with(root: Path, names: list[str]) -> Path:
    box = mailbox.Maildir(root, create=True)
    box.close()
    for n, name in enumerate(names, start=1):
        (root / "new" / name).write_bytes(message(n).as_bytes())
    return root


def test_maildir_sync_new_mail_flags_and_removal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = maildir_with(tmp_path / "Maildir", ["1700000001.a.host", "1700000002.b.host"])
    (root / "cur").joinpath("1700000003.c.host:2,S").write_bytes(message(3).as_bytes())
    connector = MailboxConnector(root)
    assert connector.format == "maildir"
    store = MemoryStore()
    first = store.sync(connector)
    assert first.ids == ["m1@example.org", "m2@example.org", "m3@example.org"]
    assert first.docs[0].metadata["key"] == "1700000001.a.host"
    assert json.loads(first.cursor) == {"key": "1700000003.c.host"}
    (root / "new" / "1700000009.d.host").write_bytes(message(4).as_bytes())
    # Read by a mail client: moved to cur/ with flags; the key stays the same.
    (root / "new" / "1700000001.a.host").rename(root / "cur" / "1700000001.a.host:2,RS")
    (root / "new" / "1700000002.b.host").unlink()
    parsed = spy_parses(monkeypatch)
    again = store.sync(connector)
    assert parsed == again.ids == ["m4@example.org"]
    assert again.unchanged == ["m1@example.org", "m3@example.org"]
    assert sorted(store.docs) == ["m1@example.org", "m3@example.org", "m4@example.org"]
    assert_aware_utc(first.docs)


def test_a_vanished_maildir_fails_the_run(tmp_path: Path) -> None:
    root = maildir_with(tmp_path / "Maildir", ["1700000001.a.host"])
    connector = MailboxConnector(root)
    root.rename(tmp_path / "elsewhere")
    with pytest.raises(SourceError, match=r"mailbox .* is missing"):
        run(connector)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Message-ID: <a@b>\nSubject: x\n\nbody", "a@b"),
        (b"Subject: x\nMessage-Id:\n <folded@x>\n\nb", "folded@x"),
        (b"message-id: noangle\n\nb", "noangle"),
        (b"Subject: x\r\nMessage-ID: <crlf@x>\r\n\r\nbody", "crlf@x"),
        (b"Message-ID: <first@x>\nMessage-ID: <second@x>\n\n", "first@x"),
    ],
)
def test_message_key_reads_the_header_as_the_parser_does(raw: bytes, expected: str) -> None:
    assert message_key(raw) == expected
    parsed = message_document(raw, source="s", fallback_time=lambda: BASE)
    assert parsed.doc_id == expected


def test_message_key_without_a_message_id_is_the_parsers_hash() -> None:
    for raw in (b"Subject: x\n\nMessage-ID: <in-body@x>\n", b"\nMessage-ID: <no@header>\n"):
        parsed = message_document(raw, source="s", fallback_time=lambda: BASE)
        assert message_key(raw) == parsed.doc_id
        assert parsed.doc_id.startswith("sha256:")


def test_maildir_message_without_date_uses_its_delivery_time(tmp_path: Path) -> None:
    root = maildir_with(tmp_path / "Maildir", [])
    msg = message(1)
    del msg["Date"]
    path = root / "new" / "1700000001.a.host"
    path.write_bytes(msg.as_bytes())
    delivered = time.time() - 3600
    os.utime(path, (delivered, delivered))
    (doc,) = run(MailboxConnector(root)).docs
    assert abs(doc.timestamp.timestamp() - delivered) < 1
    assert doc.metadata["defects"] == ["UnparsableDate"]


def test_bad_paths_and_formats_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"mailbox .*missing.mbox is missing"):
        run(MailboxConnector(tmp_path / "missing.mbox"))  # fails the run, may come back
    with pytest.raises(ConfigError, match=r"'path'.*not a Maildir"):
        MailboxConnector(tmp_path)
    with pytest.raises(ConfigError, match="'format'"):
        MailboxConnector(tmp_path, format="pst")
    not_mbox = tmp_path / "notes.txt"
    not_mbox.write_text("hello\n")
    with pytest.raises(SourceError, match="not an mbox"):
        run(MailboxConnector(not_mbox))


def test_a_hand_edited_cursor_is_reported(mbox: Path) -> None:
    with pytest.raises(CursorError, match="count"):
        run(MailboxConnector(mbox), cursor='{"count": "3"}')
    # A cursor of the version that resumed by message count still works.
    assert run(MailboxConnector(mbox), cursor='{"count": 3, "check": "9f2c"}').ids == IDS


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"From a\nbody\n",
        b"From a\nbody\n\nFrom b\nmore\n\n",
        b"From a\nno blank line before\nFrom b\nlast line without newline",
        b"garbage first\nFrom a\nx\n\n\n\nFrom b\ny\n",
        b"From a\r\nwindows\r\n\r\nFrom b\r\nlines\r\n",
        b"From a\nbody mentions\n>From escaped\nFrom unescaped in a body\n\n",
        b"\n\nFrom a\n\n",
        b"no From line at all\n",
    ],
)
def test_the_fast_table_of_contents_equals_the_standard_one(tmp_path: Path, text: bytes) -> None:
    import mailbox as std

    from syncdeck.connectors.mailbox import FastMbox

    path = tmp_path / "box"
    path.write_bytes(text)
    slow, fast = std.mbox(path, create=False), FastMbox(path, create=False)
    try:
        slow._generate_toc()
        fast._generate_toc()
        assert fast._toc == slow._toc
        assert fast._file_length == slow._file_length
        keys = sorted(slow._toc)  # iterating a Mailbox yields messages, not keys
        assert [fast.get_bytes(k) for k in keys] == [slow.get_bytes(k) for k in keys]
    finally:
        slow.close()
        fast.close()
