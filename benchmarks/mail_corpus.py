"""A realistic, deterministic mbox: threads with quoted replies, HTML alternatives,
quoted-printable and base64 parts, attachments, mailing-list headers, and a share of
messages that repeat a Message-ID (cross-posts and Sent copies), as real archives do."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

PEOPLE = [
    ("Ada Moreau", "ada@lists.example.org"),
    ("Bilal Chen", "bilal.chen@example.com"),
    ("Chiara Rossi", "chiara@rossi.example.it"),
    ("Dmitri Volkov", "dvolkov@example.net"),
    ("Esi Mensah", "esi.mensah@example.org"),
    ("Farah Haddad", "farah@haddad.example"),
    ("Goran Petrov", "goran@example.rs"),
    ("Hana Sato", "hana.sato@example.jp"),
    ("Ines Duarte", "ines@duarte.example.pt"),
    ("Jonas Berg", "jonas.berg@example.se"),
]
TOPICS = [
    "release candidate for 2.4",
    "flaky test in the scheduler",
    "proposal: drop Python 3.9",
    "memory growth under load",
    "docs for the new CLI",
    "packaging on Debian",
    "security advisory follow-up",
    "meeting notes, week 12",
    "benchmark results on ARM",
    "question about cursor semantics",
]
SENTENCES = [
    "I tried the patch on a clean checkout and the failure is gone.",
    "The numbers below are medians of seven runs on an otherwise idle machine.",
    "Could we keep the old behaviour behind a flag for one release?",
    "This only happens when the connection drops in the middle of a batch.",
    "The backtrace points at the retry loop, not at the parser.",
    "I have attached the log from last night's run, trimmed to the relevant part.",
    "Agreed; let's document the limitation and move on.",
    "The migration took forty minutes on the staging copy of the database.",
    "Please double-check the changelog entry before we tag.",
    "Résumé of the discussion so far: nobody objects, two people want more tests.",
]


def _body(draws: random.Random, quoted: str | None) -> str:
    paragraphs = []
    for _ in range(draws.randint(1, 5)):
        paragraphs.append(" ".join(draws.choice(SENTENCES) for _ in range(draws.randint(2, 6))))
    text = "\n\n".join(paragraphs)
    if quoted:
        text += "\n\nOn an earlier day someone wrote:\n" + "\n".join(
            "> " + line for line in quoted.splitlines()[:12]
        )
    if draws.random() < 0.05:
        text += "\n\nFrom now on the nightly job runs at 02:00.\n"  # escaped as >From
    return text + "\n\n-- \nsent from the list archive\n"


def _qp(text: str) -> str:
    out = []
    for line in text.splitlines():
        encoded = "".join(
            ch if ch.isascii() and ch != "=" else "".join(f"={b:02X}" for b in ch.encode())
            for ch in line
        )
        while len(encoded) > 75:
            out.append(encoded[:75] + "=")
            encoded = encoded[75:]
        out.append(encoded)
    return "\n".join(out)


def message(n: int, draws: random.Random, when: datetime, parent: tuple[str, str] | None) -> str:
    name, address = PEOPLE[draws.randrange(len(PEOPLE))]
    to_name, to_address = PEOPLE[draws.randrange(len(PEOPLE))]
    topic = TOPICS[n % len(TOPICS)] if parent is None else parent[1]
    subject = topic if parent is None else f"Re: {topic}"
    message_id = f"<{n}.{draws.randrange(10**8)}@mail.example.org>"
    quoted = _body(draws, None) if parent is not None and draws.random() < 0.7 else None
    body = _body(draws, quoted)
    headers = [
        f"Return-Path: <{address}>",
        f"Received: from mx{n % 4}.example.org by list.example.org; {format_datetime(when)}",
        f"From: {name} <{address}>",
        f"To: {to_name} <{to_address}>, dev@lists.example.org",
        f"Subject: {subject}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: {message_id}",
        "List-Id: Developers <dev.lists.example.org>",
        "MIME-Version: 1.0",
    ]
    if parent is not None:
        headers += [f"In-Reply-To: {parent[0]}", f"References: {parent[0]}"]
    kind = draws.random()
    if kind < 0.6:
        headers.append("Content-Type: text/plain; charset=utf-8")
        headers.append("Content-Transfer-Encoding: quoted-printable")
        payload = _qp(body)
    else:
        boundary = f"=_part_{n}"
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in body.split("\n\n")) + "</body>"
        parts = [
            f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{_qp(body)}",
            f"--{boundary}\nContent-Type: text/html; charset=utf-8\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{_qp(html)}",
        ]
        subtype = "alternative"
        if kind > 0.95:
            subtype = "mixed"
            blob = draws.randbytes(draws.randint(2_000, 12_000))
            encoded = base64.encodebytes(blob).decode()
            parts.append(
                f"--{boundary}\nContent-Type: application/octet-stream; name=trace.bin\n"
                "Content-Disposition: attachment; filename=trace.bin\n"
                f"Content-Transfer-Encoding: base64\n\n{encoded}"
            )
        headers.append(f'Content-Type: multipart/{subtype}; boundary="{boundary}"')
        payload = "\n".join(parts) + f"\n--{boundary}--\n"
    text = "\n".join(headers) + "\n\n" + payload
    return text.replace("\nFrom ", "\n>From ")


def write_mbox(path: Path, count: int, *, seed: int = 7, duplicate_share: float = 0.02) -> Path:
    """``count`` messages; ``duplicate_share`` of them repeat an earlier Message-ID."""
    draws = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    threads: list[tuple[str, str]] = []
    written: list[str] = []
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for n in range(count):
            when = start + timedelta(minutes=17 * n)
            if written and draws.random() < duplicate_share:
                text = written[draws.randrange(len(written))].replace(
                    "List-Id: Developers", "List-Id: Announce", 1
                )
            else:
                parent = threads[draws.randrange(len(threads))] if threads else None
                if draws.random() < 0.4:
                    parent = None
                text = message(n, draws, when, parent)
                if parent is None:
                    mid = text.split("Message-ID: ", 1)[1].split("\n", 1)[0]
                    threads.append((mid, TOPICS[n % len(TOPICS)]))
                    threads = threads[-200:]
                written.append(text)
                written = written[-500:]
            stamp = when.strftime("%a %b %d %H:%M:%S %Y")
            fh.write(f"From list@example.org {stamp}\n{text}\n")
    return path
