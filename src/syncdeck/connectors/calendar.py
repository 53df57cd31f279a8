"""Events of iCalendar (.ics) files or URLs, mirrored: removed and cancelled events deleted."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from syncdeck.connectors import checks, conditional_get
from syncdeck.connectors.conditional_get import Fetched, Validators
from syncdeck.connectors.cursors import decode_by_location, encode_cursor
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.fields import UNKNOWN_TIME
from syncdeck.connectors.http import redact_url
from syncdeck.core.connector import BaseConnector, SyncItem
from syncdeck.core.documents import Checkpoint, Document, ListingComplete, Unchanged
from syncdeck.core.errors import ConfigError

TYPE = "calendar"
ACCEPT = "text/calendar, application/ics;q=0.9, */*;q=0.1"
_CURSOR_EXAMPLE = '{"calendars": {"/path/team.ics": {"etag": "file:...", "listing": "9f2c..."}}}'


class CalendarConnector(BaseConnector):
    """Events of iCalendar files or URLs, one document per event, mirroring each calendar.

    doc_id is the event's UID; an override of one occurrence of a recurring event (a
    VEVENT with RECURRENCE-ID) is its own document, ``UID#RECURRENCE-ID`` (the occurrence
    in UTC, ``20240408T083000Z``, or a date). Title is the summary, content the
    description with the location, the organizer is the author and the attendees are the
    participants (their names and answers in metadata). Start, end, all_day, timezone,
    rrule, rdate and exdate go into metadata, as written in the calendar's own zone;
    thread_id is the UID, so an event and its overrides group together.

    Recurring events are kept as one document with their rule, not expanded into
    occurrences: a search finds the weekly meeting once, and an open-ended rule would
    need a window that moves with the clock, turning every run into edits.
    Cancelled occurrences (an override with STATUS:CANCELLED) are listed in the master's
    metadata["cancelled"].

    The timestamp is the start in UTC. Times with a TZID use that zone (the calendar's
    VTIMEZONE definitions are honoured, Windows zone names included); floating times
    (no zone, as in "lunch at 12:00 wherever I am") and all-day dates are taken in the
    ``timezone`` parameter, UTC unless set, so the same file always gives the same time.

    A calendar is a full listing, so it mirrors: an event removed from the file or marked
    STATUS:CANCELLED is not yielded and is deleted at the end of a successful run (within
    the deletion guard). The cursor keeps each calendar's ETag and Last-Modified (a file's
    modification time, size and inode) and a digest of its event ids: an unchanged
    calendar is answered 304 (or not read) and its events are re-announced as unchanged
    from the store. A calendar that cannot be read fails the run and deletes nothing.

    Parameters:
        urls: the calendars: http(s) URLs or .ics file paths (absolute, or relative to the
            working folder)
        timezone: the IANA zone for floating times and all-day dates, e.g. "Europe/Dublin"
        timeout: seconds to wait for each response
        max_bytes: the largest calendar read, after decompression
    """

    connector_id = TYPE
    display_name = "iCalendar"
    lists_source = True

    def __init__(
        self,
        urls: list[str],
        timezone: str = "UTC",
        timeout: float = 30.0,
        max_bytes: int = 50_000_000,
    ) -> None:
        listed = checks.string_list(TYPE, "urls", urls)
        if not listed:
            raise ConfigError(f"{TYPE}: parameter 'urls' must name at least one calendar")
        self.urls = list(
            dict.fromkeys(conditional_get.check_location(TYPE, "urls", u) for u in listed)
        )
        try:
            self.zone: tzinfo = ZoneInfo(checks.text(TYPE, "timezone", timezone, required=True))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{TYPE}: parameter 'timezone' is {timezone!r}, not a known time zone; use an "
                "IANA name such as 'Europe/Dublin' or 'UTC'"
            ) from None
        self.timezone = timezone
        self.timeout = checks.number(TYPE, "timeout", timeout, minimum=0.001)
        self.max_bytes = checks.number(TYPE, "max_bytes", max_bytes, minimum=1, integer=True)

    def describe(self) -> str:
        shown = ", ".join(redact_url(u) for u in self.urls[:3])
        more = f" and {len(self.urls) - 3} more" if len(self.urls) > 3 else ""
        count = f"{len(self.urls)} calendar{'s' if len(self.urls) != 1 else ''}"
        return f"{count}: {shown}{more}"

    def check_cursor(self, cursor: str) -> None:
        _decode_cursor(cursor)

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        source = self.connector_id or TYPE
        state = _decode_cursor(cursor) if cursor is not None else {}
        stored_by_key: dict[str, list[str]] | None = None
        seen: set[str] = set()
        failures: list[str] = []
        for location in self.urls:
            previous = state.get(location, {})
            key = _key(location)
            try:
                fetched = self._read(
                    location, Validators(previous.get("etag"), previous.get("last_modified"))
                )
            except SourceError as exc:
                failures.append(str(exc))
                continue
            if fetched.unchanged:
                if stored_by_key is None:
                    stored_by_key = self._stored_by_key()
                ids = [i for i in stored_by_key.get(key, []) if i not in seen]
                if _digest(ids) == previous.get("listing"):
                    seen.update(ids)
                    for doc_id in ids:
                        yield Unchanged(doc_id)
                    continue
            try:
                if fetched.unchanged:
                    # the store no longer matches the last listing (a failed run, or
                    # deletions held by the guard): read the calendar in full
                    fetched = self._read(location, Validators())
                parsed = parse_calendar(
                    fetched.body or b"", location=location, source=source, zone=self.zone
                )
            except SourceError as exc:
                failures.append(str(exc))
                continue
            documents = [doc for doc in parsed if doc.doc_id not in seen]
            seen.update(doc.doc_id for doc in documents)
            known = self.stored.versions([doc.doc_id for doc in documents])
            for document in documents:
                document.version = f"{key} {document.version}"
                if known.get(document.doc_id, "") == document.version:
                    yield Unchanged(document.doc_id)
                else:
                    yield document
            state[location] = {
                **fetched.validators.as_json(),
                "listing": _digest([doc.doc_id for doc in documents]),
            }
            yield Checkpoint(encode_cursor(calendars=state))
        if failures:  # no ListingComplete: a calendar not read must not look emptied
            if len(self.urls) == 1:
                raise SourceError(failures[0])
            reasons = "; ".join(f.removeprefix(f"{TYPE}: ") for f in failures)
            raise SourceError(
                f"{TYPE}: {len(failures)} of {len(self.urls)} calendars could not be read "
                f"(nothing was deleted): {reasons}"
            )
        yield ListingComplete()

    def _read(self, location: str, validators: Validators) -> Fetched:
        return conditional_get.read(
            location,
            connector=TYPE,
            validators=validators,
            accept=ACCEPT,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
        )

    def _stored_by_key(self) -> dict[str, list[str]]:
        """Stored event ids by the calendar their version names (``key hash``)."""
        ids = list(self.stored.ids())
        by_key: dict[str, list[str]] = {}
        for start in range(0, len(ids), 500):
            for doc_id, version in self.stored.versions(ids[start : start + 500]).items():
                if version and " " in version:
                    by_key.setdefault(version.split(" ", 1)[0], []).append(doc_id)
        return by_key


def parse_calendar(
    body: bytes, *, location: str, source: str, zone: tzinfo = UTC
) -> list[Document]:
    """The events of one calendar file as documents (cancelled ones left out)."""
    shown = redact_url(location)
    try:
        calendars = icalendar.Calendar.from_ical(body, multiple=True)
    except (ValueError, IndexError, KeyError) as exc:
        raise SourceError(f"{TYPE}: {shown} is not a readable iCalendar file ({exc})") from None
    if not calendars:
        raise SourceError(
            f"{TYPE}: {shown} is not a readable iCalendar file (no complete "
            "BEGIN:VCALENDAR ... END:VCALENDAR)"
        )
    events = [event for cal in calendars for event in cal.walk("VEVENT")]
    names = [str(cal.get("X-WR-CALNAME", "")) for cal in calendars if cal.get("X-WR-CALNAME")]
    cancelled: dict[str, list[str]] = {}
    for event in events:
        if _cancelled(event) and event.get("RECURRENCE-ID") is not None:
            cancelled.setdefault(_uid(event), []).append(_moment(event["RECURRENCE-ID"].dt))
    documents: dict[str, tuple[int, Document]] = {}
    for event in events:
        if _cancelled(event):
            continue
        document = _document(event, location=location, source=source, zone=zone)
        if names:
            document.metadata["calendar_name"] = names[0]
        if event.get("RECURRENCE-ID") is None and _uid(event) in cancelled:
            document.metadata["cancelled"] = sorted(cancelled[_uid(event)])
        sequence = _sequence(event)
        previous = documents.get(document.doc_id)
        if previous is None or sequence >= previous[0]:
            documents[document.doc_id] = (sequence, document)  # a repeat: the latest revision
    return [document for _, document in documents.values()]


def _document(event: Any, *, location: str, source: str, zone: tzinfo) -> Document:
    uid = _uid(event)
    recurrence = event.get("RECURRENCE-ID")
    doc_id = uid if recurrence is None else f"{uid}#{_moment(recurrence.dt)}"
    start_prop = event.get("DTSTART")
    start = start_prop.dt if start_prop is not None else None
    end = _end(event, start)
    summary = _text(event.get("SUMMARY"))
    description = _text(event.get("DESCRIPTION"))
    place = _text(event.get("LOCATION"))
    content = "\n\n".join(
        part for part in (description, f"Location: {place}" if place else "") if part
    )
    metadata: dict[str, Any] = {"calendar": location, "uid": uid}
    if start is not None:
        metadata["start"] = _iso(start)
        metadata["all_day"] = not isinstance(start, datetime)
        metadata["timezone"] = _zone_name(start_prop)
    if end is not None:
        metadata["end"] = _iso(end)
    if recurrence is not None:
        metadata["recurrence_id"] = _iso(recurrence.dt)
    if event.get("RRULE") is not None:
        metadata["rrule"] = event["RRULE"].to_ical().decode()
    for name in ("RDATE", "EXDATE"):
        moments = _date_list(event.get(name))
        if moments:
            metadata[name.lower()] = moments
    if place:
        metadata["location"] = place
    for name in ("STATUS", "TRANSP", "CLASS"):
        if event.get(name) is not None:
            metadata[name.lower()] = str(event[name])
    categories = _categories(event.get("CATEGORIES"))
    if categories:
        metadata["categories"] = categories
    attendees = [_person(a) for a in _as_list(event.get("ATTENDEE"))]
    if attendees:
        metadata["attendees"] = attendees
    organizer = event.get("ORGANIZER")
    url = _text(event.get("URL"))
    return Document(
        doc_id=doc_id,
        source=source,
        doc_type="event",
        content=content,
        title=summary,
        author=_address(organizer) if organizer is not None else "",
        participants=[a["email"] for a in attendees if a.get("email")],
        timestamp=_utc(start, zone) if start is not None else UNKNOWN_TIME,
        thread_id=uid,
        url=url or None,
        metadata=metadata,
        version=hashlib.sha256(event.to_ical()).hexdigest()[:24],
    )


def _uid(event: Any) -> str:
    uid = _text(event.get("UID"))
    if uid:
        return uid
    # RFC 5545 requires a UID; exports that omit it get a stable stand-in
    start = event.get("DTSTART")
    basis = (
        f"{start.to_ical().decode() if start is not None else ''}\n{_text(event.get('SUMMARY'))}"
    )
    return "sha256:" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _cancelled(event: Any) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"


def _sequence(event: Any) -> int:
    try:
        return int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return str(value).strip()


def _end(event: Any, start: date | datetime | None) -> date | datetime | None:
    if event.get("DTEND") is not None:
        return event["DTEND"].dt
    if start is None:
        return None
    if event.get("DURATION") is not None:
        return start + event["DURATION"].dt
    return start + timedelta(days=1) if not isinstance(start, datetime) else start


def _utc(moment: date | datetime, zone: tzinfo) -> datetime:
    """An aware UTC datetime: zoned times converted, floating times and dates in ``zone``."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _moment(moment: date | datetime) -> str:
    """A compact, zone-independent form of an occurrence, for ids."""
    if not isinstance(moment, datetime):
        return moment.strftime("%Y%m%d")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.strftime("%Y%m%dT%H%M%S")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso(moment: date | datetime) -> str:
    return moment.isoformat()


def _zone_name(prop: Any) -> str:
    moment = prop.dt
    if not isinstance(moment, datetime):
        return "all-day"
    tzid = prop.params.get("TZID")
    if tzid:
        return str(tzid)
    if moment.tzinfo is None or moment.utcoffset() is None:
        return "floating"
    return "UTC"


def _date_list(value: Any) -> list[str]:
    moments: list[str] = []
    for item in _as_list(value):
        for entry in getattr(item, "dts", []):
            moments.append(_iso(entry.dt) if not isinstance(entry.dt, tuple) else str(entry.dt))
    return moments


def _categories(value: Any) -> list[str]:
    found: list[str] = []
    for item in _as_list(value):
        cats = getattr(item, "cats", None)
        found.extend(str(c) for c in (cats if cats is not None else [item]))
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _email(address: Any) -> str:
    text = str(address).strip()
    return text[7:] if text.lower().startswith("mailto:") else text


def _address(address: Any) -> str:
    """``Name <email>`` as mail shows it, or the email alone."""
    name = str(address.params.get("CN", "")).strip() if hasattr(address, "params") else ""
    email = _email(address)
    return f"{name} <{email}>" if name and email else name or email


def _person(address: Any) -> dict[str, str]:
    person = {"email": _email(address)}
    params = getattr(address, "params", {})
    for param, key in (("CN", "name"), ("PARTSTAT", "status"), ("ROLE", "role")):
        if params.get(param):
            person[key] = str(params[param])
    return person


def _key(location: str) -> str:
    """A short tag of the calendar an event came from, stored in its version."""
    return hashlib.sha256(location.encode()).hexdigest()[:12]


def _digest(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:24]


def _decode_cursor(cursor: str) -> dict[str, dict[str, str]]:
    return decode_by_location(
        cursor,
        key="calendars",
        fields={"etag", "last_modified", "listing"},
        connector=TYPE,
        example=_CURSOR_EXAMPLE,
    )
