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

import pytest

from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.mailbox import MailboxConnector
from syncdeck.core.errors import ConfigError

from .conftest import assert_aware_utc, run

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


@pytest.fixture
def mbox(tmp_path: Path) -> Path:
    return write_mbox(
        tmp_path / "mail.mbox",
        [
            message(1, subject="Plan"),
            message(2, subject="Re: Plan", reply_to=1),
            message(3, subject="Re: Plan", reply_to=2, root=1),
            message(
                4,
                subject="Report",
                html="<p>The <b>HTML</b> part</p>",
                attachment=b"a,b\n1,2\n",
            ),
            message(5, subject="Later"),
        ],
    )


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
    assert len(result.cursors) == 5


def test_html_only_message_is_reduced_to_text(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["Subject"] = "News"
    msg["Message-ID"] = "<news@example.org>"
    msg["Date"] = format_datetime(BASE)
    msg.set_content("<html><body><h1>News</h1><p>Item <i>one</i></p></body></html>", "html")
    (doc,) = run(MailboxConnector(write_mbox(tmp_path / "m.mbox", [msg]))).docs
    assert doc.content == "News\n\nItem one"


def test_resume_from_a_midway_cursor(mbox: Path) -> None:
    connector = MailboxConnector(mbox)
    midway = run(connector).cursor_after("m3@example.org")
    assert json.loads(midway)["count"] == 3
    assert run(connector, cursor=midway).ids == ["m4@example.org", "m5@example.org"]


def test_appended_mail_is_all_the_next_run_reads(mbox: Path) -> None:
    connector = MailboxConnector(mbox)
    done = run(connector).cursor
    write_mbox(mbox, [message(6, reply_to=5)])  # mbox() appends to an existing file
    assert run(connector, cursor=done).ids == ["m6@example.org"]


def test_a_rewritten_mbox_is_read_again_with_the_edited_message(mbox: Path) -> None:
    connector = MailboxConnector(mbox)
    done = run(connector).cursor
    mbox.unlink()
    write_mbox(mbox, [message(n) for n in range(1, 5)] + [message(5, body="Edited body.\n")])
    again = run(connector, cursor=done)
    assert again.ids == [f"m{n}@example.org" for n in range(1, 6)]
    assert again.docs[-1].content == "Edited body."


def test_since_filters_by_date_only_without_cursor(mbox: Path) -> None:
    connector = MailboxConnector(mbox)
    since = datetime(2024, 3, 1, 11, 30, tzinfo=UTC)
    assert run(connector, since=since).ids == ["m3@example.org", "m4@example.org", "m5@example.org"]
    cursor = run(connector).cursor_after("m1@example.org")
    assert len(run(connector, since=since, cursor=cursor).ids) == 4


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


def test_maildir_sync_resume_and_new_mail(tmp_path: Path) -> None:
    root = maildir_with(tmp_path / "Maildir", ["1700000001.a.host", "1700000002.b.host"])
    (root / "cur").joinpath("1700000003.c.host:2,S").write_bytes(message(3).as_bytes())
    connector = MailboxConnector(root)
    assert connector.format == "maildir"
    first = run(connector)
    assert first.ids == ["m1@example.org", "m2@example.org", "m3@example.org"]
    assert json.loads(first.cursor_after("m2@example.org")) == {"key": "1700000002.b.host"}
    assert run(connector, cursor=first.cursor_after("m1@example.org")).ids == [
        "m2@example.org",
        "m3@example.org",
    ]
    (root / "new" / "1700000009.d.host").write_bytes(message(4).as_bytes())
    assert run(connector, cursor=first.cursor).ids == ["m4@example.org"]
    assert_aware_utc(first.docs)


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
    with pytest.raises(ConfigError, match=r"'path'.*does not exist"):
        MailboxConnector(tmp_path / "missing.mbox")
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
