"""Feeds, calendars and Obsidian vaults: documents/s a first sync stores through the real
engine and SQLite store, against the parsing library (or the plain file reads) alone over
the same input - what the connector adds on top of the work it cannot avoid."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

from common import BASE, WORDS, Row, median, timed

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.core.connector import BaseConnector


def _text(i: int, words: int = 60) -> str:
    return " ".join(WORDS[(i * 7 + k * 13) % len(WORDS)] for k in range(words))


def write_feed(path: Path, entries: int) -> None:
    items = "".join(
        f"<item><title>Entry {i}</title><link>https://example.org/e/{i}</link>"
        f"<guid>https://example.org/e/{i}</guid>"
        f"<pubDate>{format_datetime(BASE + timedelta(minutes=i))}</pubDate>"
        f"<description>&lt;p&gt;{_text(i)}&lt;/p&gt;</description></item>"
        for i in range(entries)
    )
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
        f"<link>https://example.org/</link><description>bench</description>{items}"
        "</channel></rss>"
    )


def write_calendar(path: Path, events: int) -> None:
    body = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:event-{i}@example.org\r\n"
        f"DTSTAMP:20240101T000000Z\r\n"
        f"DTSTART:{(BASE + timedelta(hours=i)):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{(BASE + timedelta(hours=i, minutes=30)):%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:Meeting {i}\r\n"
        f"DESCRIPTION:{_text(i, 30)}\r\n"
        f"ATTENDEE;CN=User {i % 9}:mailto:user{i % 9}@example.org\r\n"
        "END:VEVENT\r\n"
        for i in range(events)
    )
    path.write_bytes(
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n" + body + "END:VCALENDAR\r\n"
        ).encode()
    )


def write_vault(folder: Path, notes: int) -> None:
    for i in range(notes):
        note = folder / f"area-{i % 20}" / f"note-{i}.md"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(
            f"---\ntitle: Note {i}\ntags: [bench, t{i % 7}]\n---\n# Note {i}\n"
            f"See [[note-{(i + 1) % notes}]] #topic{i % 5}\n\n{_text(i, 120)}\n"
        )


def _sync(connector: BaseConnector, folder: Path) -> int:
    with KnowledgeStore(folder / "k.db") as store:
        engine = SyncEngine(IngestionPipeline(store), state_db=folder / "s.db")
        try:
            engine.sync(connector)
            return store.count()
        finally:
            engine.close()


def _arm(make: Callable[[], BaseConnector]) -> Callable[[], float]:
    def run() -> float:
        with tempfile.TemporaryDirectory(prefix="syncdeck-bench-source-") as tmp:
            return timed(lambda: _sync(make(), Path(tmp)))

    return run


def run(scale: float, reps: int) -> list[Row]:
    import feedparser
    import icalendar

    from syncdeck.connectors.calendar import CalendarConnector
    from syncdeck.connectors.feed import FeedConnector
    from syncdeck.connectors.obsidian import ObsidianConnector

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="syncdeck-bench-inputs-") as tmp:
        root = Path(tmp)
        entries, events, notes = (max(200, int(n * scale)) for n in (5_000, 5_000, 3_000))
        write_feed(root / "feed.xml", entries)
        write_calendar(root / "cal.ics", events)
        write_vault(root / "vault", notes)
        cases = [
            (
                f"feed: first sync of {entries:,} RSS entries (file)",
                _arm(lambda: FeedConnector(urls=[str(root / "feed.xml")])),
                lambda: timed(lambda: feedparser.parse((root / "feed.xml").read_bytes())),
                "feedparser.parse alone",
                entries,
            ),
            (
                f"calendar: first sync of {events:,} events (file)",
                _arm(lambda: CalendarConnector(urls=[str(root / "cal.ics")])),
                lambda: timed(
                    lambda: icalendar.Calendar.from_ical((root / "cal.ics").read_bytes())
                ),
                "icalendar parse alone",
                events,
            ),
            (
                f"obsidian: first sync of {notes:,} notes",
                _arm(lambda: ObsidianConnector(path=root / "vault")),
                lambda: timed(
                    lambda: [p.read_text() for p in sorted((root / "vault").rglob("*.md"))]
                ),
                "reading the files alone",
                notes,
            ),
        ]
        for label, ours, reference, name, count in cases:
            mine, theirs = [], []
            for _ in range(reps):
                mine.append(ours())
                theirs.append(reference())
            a, b = median(mine), median(theirs)
            rows.append(
                Row(label, f"{count / a:,.0f} docs/s", f"{name} {count / b:,.0f} docs/s",
                    b / a, "(a figure: stored and indexed vs parsed only)", None)
            )  # fmt: skip
    return rows
