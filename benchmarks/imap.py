"""IMAP: messages/s the imap connector fetches from a local Dovecot in batches, against
raw imaplib fetching the same messages in the same batches with no processing."""

from __future__ import annotations

import imaplib
import ssl
import sys
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from common import BASE, WORDS, Row, median

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from servers.dovecot import Dovecot, unavailable_reason

from syncdeck.connectors.imap import ImapConnector
from syncdeck.core.documents import Document

BATCH = 100


def message(i: int) -> bytes:
    """About 3 KB: a text part and an HTML alternative, like most mail."""
    msg = EmailMessage()
    msg["From"] = f"User {i % 50} <user{i % 50}@example.org>"
    msg["To"] = "team@example.org"
    msg["Subject"] = f"Report {i}: {WORDS[i % len(WORDS)]}"
    msg["Date"] = format_datetime(BASE)
    msg["Message-ID"] = f"<bench-{i}@example.org>"
    text = " ".join(WORDS[(i * 7 + k * 13) % len(WORDS)] for k in range(200))
    msg.set_content(text)
    msg.add_alternative(f"<html><body><p>{text}</p></body></html>", subtype="html")
    return bytes(msg)


def raw_fetch(server: Dovecot, user: str) -> int:
    context = ssl.create_default_context(cafile=str(server.ca_file))
    imap = imaplib.IMAP4_SSL("127.0.0.1", server.imaps_port, ssl_context=context)
    imap.login(user, server.users[user])
    imap.select("INBOX", readonly=True)
    uids = imap.uid("SEARCH", "ALL")[1][0].split()
    fetched = 0
    for start in range(0, len(uids), BATCH):
        batch = b",".join(uids[start : start + BATCH]).decode()
        data = imap.uid("FETCH", batch, "(UID FLAGS INTERNALDATE BODY.PEEK[])")[1]
        fetched += sum(1 for item in data if isinstance(item, tuple))
    imap.logout()
    return fetched


def connector_fetch(server: Dovecot, user: str) -> int:
    imap = ImapConnector(
        "127.0.0.1",
        user,
        server.users[user],
        port=server.imaps_port,
        ca_file=server.ca_file,
        batch_size=BATCH,
    )
    count = sum(1 for item in imap.sync(since=None, cursor=None) if isinstance(item, Document))
    imap.close()
    return count


def run(scale: float, reps: int) -> list[Row]:
    n = max(500, int(5_000 * scale))
    reason = unavailable_reason()
    if reason:
        return [Row(f"imap fetch {n:,} messages", "skipped", reason, None, "-", None)]
    server = Dovecot(accounts=1)
    server.start()
    try:
        user, _ = server.add_user()
        server.deliver_to_maildir(user, [message(i) for i in range(n)])
        raw_fetch(server, user)  # Dovecot indexes the new mail once, outside the timings
        arms = {"connector": connector_fetch, "raw": raw_fetch}
        times: dict[str, list[float]] = {name: [] for name in arms}
        for rep in range(reps):
            for name in list(arms) if rep % 2 == 0 else list(arms)[::-1]:
                start = time.perf_counter()
                assert arms[name](server, user) == n
                times[name].append(time.perf_counter() - start)
    finally:
        server.stop()
    ours, raw = median(times["connector"]), median(times["raw"])
    return [
        Row(
            f"imap fetch {n:,} x 3 KB messages from local Dovecot, batch {BATCH}",
            f"{n / ours:,.0f} msg/s",
            f"raw imaplib, no parsing {n / raw:,.0f} msg/s",
            raw / ours,
            "(parsing each message is the cost: no target)",
            None,
        )
    ]
