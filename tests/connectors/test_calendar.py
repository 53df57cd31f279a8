"""The calendar connector: iCalendar files and URLs, mirrored into a real store."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from servers.static_http import StaticServer

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.connectors import calendar as calendar_module
from syncdeck.connectors.calendar import CalendarConnector
from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.core.documents import Checkpoint, Document, ListingComplete, Unchanged
from syncdeck.core.errors import ConfigError, DeletionsHeld

from .conftest import SAMPLES, assert_aware_utc, run
from .stored import FakeStored

TEAM = SAMPLES / "team-calendar.ics"
ICS = "text/calendar"


def ics(*events: str, extra: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//syncdeck tests//EN\r\n"
        f"{extra}{body}END:VCALENDAR\r\n"
    )


def event(uid: str, summary: str = "Meeting", start: str = "20240402T090000Z", **props: str) -> str:
    """One VEVENT; ``start`` is a UTC time, or a whole DTSTART line with its parameters."""
    start = start if start.startswith("DTSTART") else f"DTSTART:{start}"
    lines = [f"UID:{uid}", "DTSTAMP:20240301T000000Z", start, f"SUMMARY:{summary}"]
    lines += [f"{name.replace('_', '-')}:{value}" for name, value in props.items()]
    return "\r\n".join(lines)


def connector(*urls: str, **params: object) -> CalendarConnector:
    cal = CalendarConnector(list(urls), timeout=5.0, **params)  # type: ignore[arg-type]
    cal.connector_id = "team"
    return cal


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[StaticServer]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = StaticServer()
    yield server
    server.close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[SyncEngine, KnowledgeStore]]:
    store = KnowledgeStore(tmp_path / "knowledge.db")
    with SyncEngine(IngestionPipeline(store), state_db=tmp_path / "state.db") as sync_engine:
        yield sync_engine, store
    store.close()


# --- mapping ----------------------------------------------------------------------------


def test_the_sample_calendar_maps_each_event() -> None:
    result = run(connector(str(TEAM), timezone="Europe/Dublin"))
    docs = {doc.doc_id: doc for doc in result.docs}
    assert len(docs) == 10  # 12 VEVENTs: a cancelled meeting and a cancelled occurrence left out
    assert "vendor-demo@kestrel-labs.example" not in docs
    assert "standup-2024@kestrel-labs.example#20240313T093000Z" not in docs
    assert isinstance(result.items[-1], ListingComplete)
    standup = docs["standup-2024@kestrel-labs.example"]
    assert standup.title == "Daily standup"
    assert standup.content == (
        "Fifteen minutes: yesterday, today, blockers. Cameras on if you can.\n\n"
        "Location: Room Kittiwake / video link"
    )
    assert standup.author == "Maya Lindqvist <maya@kestrel-labs.example>"
    assert standup.participants == [
        "priya@kestrel-labs.example",
        "tomas@kestrel-labs.example",
        "ruth@harbourwatch.example",
    ]
    assert standup.timestamp == datetime(2024, 3, 4, 9, 30, tzinfo=UTC)  # GMT in March
    assert standup.doc_type == "event" and standup.thread_id == standup.doc_id
    meta = standup.metadata
    assert meta["rrule"] == "FREQ=WEEKLY;UNTIL=20240628T083000Z;BYDAY=MO,WE,FR"
    assert meta["exdate"] == ["2024-03-29T09:30:00+00:00", "2024-04-01T09:30:00+01:00"]
    assert meta["cancelled"] == ["20240313T093000Z"]
    assert meta["timezone"] == "Europe/Dublin" and meta["all_day"] is False
    assert meta["attendees"][2] == {
        "email": "ruth@harbourwatch.example",
        "name": "Ruth Gallagher",
        "status": "TENTATIVE",
        "role": "OPT-PARTICIPANT",
    }
    assert meta["calendar_name"] == "Kestrel Labs team"
    moved = docs["standup-2024@kestrel-labs.example#20240311T093000Z"]
    assert moved.thread_id == standup.doc_id
    assert moved.timestamp == datetime(2024, 3, 11, 11, 0, tzinfo=UTC)
    assert moved.metadata["recurrence_id"] == "2024-03-11T09:30:00+00:00"
    offsite = docs["offsite-spring@kestrel-labs.example"]
    assert offsite.metadata["all_day"] is True
    assert (offsite.metadata["start"], offsite.metadata["end"]) == ("2024-04-18", "2024-04-20")
    assert offsite.timestamp == datetime(2024, 4, 17, 23, 0, tzinfo=UTC)  # midnight in Dublin
    nyc = docs["partner-call-nyc@kestrel-labs.example"]
    assert nyc.timestamp == datetime(2024, 3, 21, 14, 0, tzinfo=UTC)  # EDT already, -4
    planning = docs["sprint-planning@kestrel-labs.example"]
    assert planning.metadata["end"] == "2024-03-05T15:30:00+00:00"  # DTSTART + DURATION
    kickoff = docs["kickoff-harbour-watch@kestrel-labs.example"]
    assert kickoff.url == "https://harbourwatch.example/projects/kickoff"
    assert_aware_utc(result.docs)


def test_floating_times_and_dates_are_taken_in_the_timezone_parameter() -> None:
    lunch = "team-lunch@kestrel-labs.example"
    in_utc = {d.doc_id: d for d in run(connector(str(TEAM))).docs}
    in_dublin = {d.doc_id: d for d in run(connector(str(TEAM), timezone="Europe/Dublin")).docs}
    in_tokyo = {d.doc_id: d for d in run(connector(str(TEAM), timezone="Asia/Tokyo")).docs}
    assert in_utc[lunch].timestamp == datetime(2024, 3, 22, 12, 30, tzinfo=UTC)
    assert in_dublin[lunch].timestamp == datetime(2024, 3, 22, 12, 30, tzinfo=UTC)  # GMT
    assert in_tokyo[lunch].timestamp == datetime(2024, 3, 22, 3, 30, tzinfo=UTC)
    assert in_tokyo[lunch].metadata["timezone"] == "floating"
    # zoned times do not move with the parameter
    standup = "standup-2024@kestrel-labs.example"
    assert in_tokyo[standup].timestamp == in_utc[standup].timestamp


def test_a_calendars_own_vtimezone_is_honoured(tmp_path: Path) -> None:
    zone = (
        "BEGIN:VTIMEZONE\r\nTZID:Harbour Time\r\n"
        "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0300\r\n"
        "TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0200\r\n"
        "TZOFFSETTO:+0300\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
        "END:VTIMEZONE\r\n"
    )
    path = tmp_path / "zone.ics"
    path.write_text(
        ics(
            event("winter", start="DTSTART;TZID=Harbour Time:20240301T100000"),
            event("summer", start="DTSTART;TZID=Harbour Time:20240701T100000"),
            extra=zone,
        ),
        newline="",
    )
    docs = {d.doc_id: d for d in run(connector(str(path))).docs}
    assert docs["winter"].timestamp == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)  # +02:00
    assert docs["summer"].timestamp == datetime(2024, 7, 1, 7, 0, tzinfo=UTC)  # +03:00
    assert docs["summer"].metadata["timezone"] == "Harbour Time"


def test_ids_without_uid_and_repeated_uids(tmp_path: Path) -> None:
    path = tmp_path / "odd.ics"
    no_uid = event("x", "No uid here").replace("UID:x\r\n", "")
    path.write_text(
        ics(
            no_uid,
            event("dup", "First revision", SEQUENCE="1"),
            event("dup", "Second revision", SEQUENCE="2"),
            event("dup", "Stale copy", SEQUENCE="0"),
        ),
        newline="",
    )
    first = run(connector(str(path)))
    assert first.ids[0].startswith("sha256:") and len(first.ids) == 2
    assert first.docs[1].title == "Second revision"
    assert run(connector(str(path))).ids == first.ids  # stable


# --- mirroring through the engine -----------------------------------------------------


def test_removed_and_cancelled_events_are_deleted_from_the_store(
    tmp_path: Path, engine: tuple[SyncEngine, KnowledgeStore]
) -> None:
    sync_engine, store = engine
    path = tmp_path / "team.ics"
    events = [event(f"e{n}", f"Event {n}") for n in range(1, 7)]
    path.write_text(ics(*events), newline="")
    assert sync_engine.sync(connector(str(path))) == 6
    assert store.count(source="team") == 6
    events[1] = event("e2", "Event 2", STATUS="CANCELLED")
    del events[4]  # e5 removed from the calendar
    events.append(event("e7", "Event 7"))
    path.write_text(ics(*events), newline="")
    sync_engine.sync(connector(str(path)))
    run_record = sync_engine.runs("team")[0]
    assert run_record.counts.deleted == 2 and run_record.counts.inserted == 1
    assert run_record.counts.unchanged == 4
    assert store.get("team", "e2") is None and store.get("team", "e5") is None
    assert store.get("team", "e7") is not None
    assert sync_engine.get_checkpoint("team")["items_synced"] == 5


def test_an_unchanged_file_is_not_parsed_and_its_events_stay(
    tmp_path: Path, engine: tuple[SyncEngine, KnowledgeStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_engine, store = engine
    path = tmp_path / "team.ics"
    path.write_bytes(TEAM.read_bytes())
    sync_engine.sync(connector(str(path)))
    assert store.count(source="team") == 10

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged calendar was parsed")

    monkeypatch.setattr(calendar_module, "parse_calendar", no_parsing)
    assert sync_engine.sync(connector(str(path))) == 0
    record = sync_engine.runs("team")[0]
    assert record.counts.unchanged == 10 and record.counts.deleted == 0
    assert store.count(source="team") == 10


def test_a_304_answer_reannounces_the_listing_and_costs_no_parse(web: StaticServer) -> None:
    url = web.publish("/team.ics", TEAM.read_bytes(), ICS, gzip=True)
    cal = connector(url)
    first = run(cal)
    cal.stored = FakeStored(first.items)
    second = list(cal.sync(since=None, cursor=first.cursor))
    assert web.not_modified["/team.ics"] == 1
    assert sorted(i.doc_id for i in second if isinstance(i, Unchanged)) == sorted(first.ids)
    assert isinstance(second[-1], ListingComplete)
    assert not any(isinstance(i, Document | Checkpoint) for i in second)


def test_a_304_over_a_store_that_missed_deletions_reads_again(web: StaticServer) -> None:
    url = web.publish("/c.ics", ics(event("a"), event("b")), ICS)
    cal = connector(url)
    first = run(cal)
    # the store still holds an event the last listing no longer had (the run that should
    # have deleted it failed, or the guard held it): a 304 must not vouch for it
    stale = Document("gone", "team", "event", "x", version=first.docs[0].version)
    cal.stored = FakeStored([*first.items, stale])
    second = list(cal.sync(since=None, cursor=first.cursor))
    assert web.hits["/c.ics"] == 3  # conditional (304), then in full
    assert "If-None-Match" not in web.request_headers[-1]
    assert sorted(i.doc_id for i in second if isinstance(i, Unchanged)) == ["a", "b"]
    assert isinstance(second[-1], ListingComplete)


def test_a_calendar_that_cannot_be_read_fails_the_run_and_deletes_nothing(
    tmp_path: Path, web: StaticServer, engine: tuple[SyncEngine, KnowledgeStore]
) -> None:
    sync_engine, store = engine
    path = tmp_path / "mine.ics"
    path.write_text(ics(event("mine-1"), event("mine-2")), newline="")
    shared = web.publish("/shared.ics", ics(event("shared-1")), ICS)
    sync_engine.sync(connector(str(path), shared))
    assert store.count(source="team") == 3
    del web.pages["/shared.ics"]  # the server now answers 404
    with pytest.raises(SourceError, match=r"1 of 2 calendars could not be read .*404"):
        sync_engine.sync(connector(str(path), shared))
    assert store.count(source="team") == 3
    path.unlink()
    with pytest.raises(SourceError, match=r"does not exist"):
        sync_engine.sync(connector(str(path)))
    assert store.count(source="team") == 3


def test_an_emptied_calendar_is_held_by_the_deletion_guard(
    tmp_path: Path, engine: tuple[SyncEngine, KnowledgeStore]
) -> None:
    sync_engine, store = engine
    path = tmp_path / "team.ics"
    path.write_text(ics(*(event(f"e{n}") for n in range(5))), newline="")
    sync_engine.sync(connector(str(path)))
    path.write_text(ics(), newline="")
    with pytest.raises(DeletionsHeld):
        sync_engine.sync(connector(str(path)))
    assert store.count(source="team") == 5
    # on purpose, the deletions apply (the listing digest made the cursor not vouch for them)
    sync_engine.sync(connector(str(path)), apply_deletes=True)
    assert store.count(source="team") == 0


def test_an_edited_event_is_updated(
    tmp_path: Path, engine: tuple[SyncEngine, KnowledgeStore]
) -> None:
    sync_engine, store = engine
    path = tmp_path / "team.ics"
    path.write_text(ics(event("a", "Planning"), event("b")), newline="")
    sync_engine.sync(connector(str(path)))
    path.write_text(ics(event("a", "Planning (moved)", SEQUENCE="1"), event("b")), newline="")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    sync_engine.sync(connector(str(path)))
    record = sync_engine.runs("team")[0]
    assert (record.counts.updated, record.counts.unchanged) == (1, 1)
    stored = store.get("team", "a")
    assert stored is not None and stored["title"] == "Planning (moved)"


# --- bad input --------------------------------------------------------------------------


def test_malformed_calendars_are_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ics"
    broken.write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:never closed\r\n")
    with pytest.raises(SourceError, match=r"broken.ics is not a readable iCalendar file"):
        run(connector(str(broken)))
    html = tmp_path / "page.ics"
    html.write_text("<html><body>Sign in to see this calendar</body></html>")
    with pytest.raises(SourceError, match=r"page.ics is not a readable iCalendar file"):
        run(connector(str(html)))


def test_parameters_and_cursors_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"'timezone'.*not a known time zone"):
        CalendarConnector([str(TEAM)], timezone="Mars/Olympus")
    with pytest.raises(ConfigError, match="'urls'"):
        CalendarConnector([])
    assert CalendarConnector([str(TEAM)]).lists_source is True
    with pytest.raises(CursorError, match="calendars"):
        run(connector(str(TEAM)), cursor=json.dumps({"calendars": {"x": {"etag": 1}}}))
