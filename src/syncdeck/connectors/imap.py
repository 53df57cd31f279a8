"""Mail from an IMAP server, incremental by UID per folder, with expunged mail deleted."""

from __future__ import annotations

import contextlib
import imaplib
import json
import re
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from syncdeck.connectors import checks
from syncdeck.connectors.cursors import encode_cursor
from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.imap_utf7 import decode_folder, encode_folder
from syncdeck.connectors.mail_message import message_document
from syncdeck.core.connector import BaseConnector, SyncItem
from syncdeck.core.documents import Checkpoint, Deleted, Document
from syncdeck.core.errors import ConfigError
from syncdeck.core.redaction import redact_text

TYPE = "imap"
TLS_MODES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
_CURSOR_EXAMPLE = '{"INBOX": {"uidvalidity": 1714550400, "uid": 42}}'
# A dropped or timed-out connection is worth a reconnect; imaplib reports the first as
# IMAP4.abort, the others as OSError (ssl.SSLError and TimeoutError included).
_TRANSIENT = (imaplib.IMAP4.abort, OSError, EOFError)
_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
# \Recent is true only for the first session that sees a message: never a stable fact.
_SESSION_FLAGS = frozenset({"\\Recent"})

T = TypeVar("T")


class _ValidityChanged(Exception):
    """The folder's UIDVALIDITY changed while this run was reading it."""


@dataclass(frozen=True)
class _Fetched:
    uid: int
    flags: list[str]
    internal_date: datetime | None
    raw: bytes


class ImapConnector(BaseConnector):
    """Mail of IMAP folders, one document per message, read without changing any flag.

    Each run selects every folder read-only, lists its UIDs and fetches the ones above the
    cursor's in batches of batch_size (BODY.PEEK[], so nothing is marked read), with a
    checkpoint after each batch. The cursor is ``{folder: {"uidvalidity": V, "uid": U}}``.
    Messages are parsed exactly as by the mailbox connector; folder, uid, uidvalidity and
    flags go into metadata (flags as they were when fetched: later flag changes are not
    followed), thread_id is the root of References / In-Reply-To, across folders.

    doc_id is ``folder/uidvalidity/uid``: the one identity IMAP guarantees. Two copies of a
    message in two folders are two documents, and a UID is never trusted across a
    UIDVALIDITY change (a recreated or migrated folder may reuse UIDs for other mail).

    Deletions: after a folder's new mail, the stored documents of that folder whose UID
    the server no longer lists, or whose UIDVALIDITY is not the current one, are yielded
    as ``Deleted``. The server's UID list is a statement of what was expunged, so this is
    a comparison, not a full listing with ``ListingComplete``: that would re-announce
    every message of every folder each run and, after a UIDVALIDITY change, see every
    stored id vanish at once and trip the deletion guard. A changed UIDVALIDITY re-reads
    the folder under new ids; the old ids are deleted only after the new copies are all
    stored (a crash in between leaves both until the next run finishes the folder).
    A missing folder is an error, never an empty one. Folders dropped from the
    configuration keep their documents.

    A dropped connection (reset, timeout, server restart) is reopened with exponential
    backoff (backoff * 2^attempt seconds, capped at max_wait) and the run goes on after
    the last UID it yielded, so nothing is lost or fetched twice. A refused login or an
    untrusted certificate is reported at once, with no retry. The password never appears
    in a message, a cursor or a description.

    Parameters:
        host: the server's name or address
        username: the login name (usually the full address)
        password: the login password or app password; use ${ENV} (never shown)
        port: the server port; 0 for the usual one (993 with "ssl", 143 otherwise)
        folders: the folders to read, as the mail client names them (default ["INBOX"])
        tls: "ssl" (TLS from the start), "starttls" (upgrade a plain connection; refused
            when the server does not offer it) or "none" (plain text, for a local server)
        ca_file: a PEM CA certificate (or the server's own) to trust, for a self-signed
            server; without it the system's CAs are used. Certificates are always checked
        batch_size: messages fetched per request, each batch followed by a checkpoint
        timeout: seconds to wait on the server before the connection counts as dropped
        max_retries: reconnections tried after a dropped connection before giving up
        backoff: seconds before the first reconnection, doubled at each further one
        max_wait: cap in seconds on any wait between reconnections
    """

    connector_id = TYPE
    display_name = "IMAP mail"

    def __init__(
        self,
        host: str,
        username: str,
        password: str,
        port: int = 0,
        folders: list[str] | None = None,
        tls: str = "ssl",
        ca_file: Path | None = None,
        batch_size: int = 100,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_wait: float = 60.0,
    ) -> None:
        self.host = checks.text(TYPE, "host", host, required=True).strip()
        self.username = checks.text(TYPE, "username", username, required=True)
        if not isinstance(password, str) or not password:
            raise ConfigError(f"{TYPE}: parameter 'password' must be a non-empty string")
        self._password = password
        self.secret_values = (password,)
        self.tls = checks.choice(TYPE, "tls", tls, TLS_MODES)
        port = checks.number(TYPE, "port", port, minimum=0, maximum=65535, integer=True)
        self.port = port or DEFAULT_PORTS[self.tls]
        folders = ["INBOX"] if folders is None else folders
        self.folders = list(dict.fromkeys(checks.string_list(TYPE, "folders", folders)))
        if not self.folders:
            raise ConfigError(f"{TYPE}: parameter 'folders' must name at least one folder")
        self.ca_file = (
            None if ca_file is None else checks.existing_path(TYPE, "ca_file", ca_file, kind="file")
        )
        self.batch_size = checks.number(TYPE, "batch_size", batch_size, minimum=1, integer=True)
        self.timeout = checks.number(TYPE, "timeout", timeout, minimum=0.001)
        self.max_retries = checks.number(TYPE, "max_retries", max_retries, minimum=0, integer=True)
        self.backoff = checks.number(TYPE, "backoff", backoff, minimum=0)
        self.max_wait = checks.number(TYPE, "max_wait", max_wait, minimum=0)
        self.sleep: Callable[[float], None] = time.sleep  # how reconnections wait (replaceable)
        self._imap: imaplib.IMAP4 | None = None
        self._selected: str | None = None
        self._validity = 0  # UIDVALIDITY of the selected folder
        self._stored_uids: dict[str, list[tuple[str, int, int]]] | None = None

    # -- description -------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"

    def describe(self) -> str:
        return f"{self.where} ({self.tls}): {', '.join(self.folders)}"

    def __repr__(self) -> str:  # the password stays out of debug output
        return f"ImapConnector({self.describe()!r})"

    def _fail(self, message: str) -> SourceError:
        return SourceError(redact_text(f"{TYPE}: {self.where}: {message}", (self._password,)))

    # -- the sync ----------------------------------------------------------------------

    def check_cursor(self, cursor: str) -> None:
        _decode_cursor(cursor)

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        source = self.connector_id or TYPE
        state = _decode_cursor(cursor) if cursor is not None else {}
        self._stored_uids = None
        try:
            for folder in self.folders:
                try:
                    yield from self._sync_folder(source, folder, state)
                except _ValidityChanged:
                    yield from self._sync_folder(source, folder, state)
        finally:
            self.close()

    def _sync_folder(
        self, source: str, folder: str, state: dict[str, dict[str, int]]
    ) -> Iterator[SyncItem]:
        uids = self._retrying(folder, _uid_list)
        validity = self._validity
        done = state.get(folder)
        last = done["uid"] if done is not None and done["uidvalidity"] == validity else 0
        new = [uid for uid in uids if uid > last]
        for start in range(0, len(new), self.batch_size):
            batch = new[start : start + self.batch_size]
            fetched = self._retrying(
                folder, lambda imap, batch=batch: _fetch(imap, batch), validity=validity
            )
            for message in fetched:
                yield self._document(source, folder, validity, message)
            last = batch[-1]
            state[folder] = {"uidvalidity": validity, "uid": last}
            yield Checkpoint(_encode_cursor(state))
        present = set(uids)
        gone = [
            stored_id
            for stored_id, stored_validity, uid in self._stored(folder)
            if stored_validity != validity or uid not in present
        ]
        for stored_id in gone:
            yield Deleted(stored_id)
        if gone or state.get(folder) != {"uidvalidity": validity, "uid": last}:
            state[folder] = {"uidvalidity": validity, "uid": last}
            yield Checkpoint(_encode_cursor(state))

    def _document(self, source: str, folder: str, validity: int, message: _Fetched) -> Document:
        fallback = message.internal_date or datetime(1970, 1, 1, tzinfo=UTC)
        document = message_document(message.raw, source=source, fallback_time=lambda: fallback)
        metadata: dict[str, Any] = {
            "folder": folder,
            "uid": message.uid,
            "uidvalidity": validity,
            "flags": message.flags,
        }
        if not document.doc_id.startswith("sha256:"):
            metadata["message_id"] = document.doc_id
        metadata.update(document.metadata)
        document.metadata = metadata
        document.doc_id = doc_id(folder, validity, message.uid)
        document.version = f"{validity}/{message.uid}"
        return document

    def _stored(self, folder: str) -> list[tuple[str, int, int]]:
        """The stored documents of ``folder`` as (doc_id, uidvalidity, uid)."""
        if self._stored_uids is None:
            by_folder: dict[str, list[tuple[str, int, int]]] = {f: [] for f in self.folders}
            for stored_id in self.stored.ids():
                parts = stored_id.rsplit("/", 2)
                if len(parts) == 3 and parts[0] in by_folder:
                    name, validity, uid = parts
                    if validity.isdigit() and uid.isdigit():
                        by_folder[name].append((stored_id, int(validity), int(uid)))
            self._stored_uids = by_folder
        return self._stored_uids.get(folder, [])

    # -- the connection ----------------------------------------------------------------

    def _retrying(
        self,
        folder: str,
        operation: Callable[[imaplib.IMAP4], T],
        *,
        validity: int | None = None,
    ) -> T:
        """``operation`` on a connection with ``folder`` selected, reconnecting with
        backoff when the connection drops; ``validity`` is checked after a reconnect."""
        attempt = 0
        while True:
            try:
                imap = self._select(folder)
                if validity is not None and self._validity != validity:
                    raise _ValidityChanged(folder)  # seen after a reconnection
                return operation(imap)
            except _TRANSIENT as exc:
                if isinstance(exc, ssl.SSLCertVerificationError):
                    raise self._untrusted(exc) from None
                self._drop()
                if attempt >= self.max_retries:
                    raise self._fail(
                        f"the connection failed {attempt + 1} times, giving up ({_reason(exc)})"
                    ) from None
                self.sleep(min(self.max_wait, self.backoff * 2**attempt))
                attempt += 1
            except imaplib.IMAP4.error as exc:  # a NO or BAD answer: not worth retrying
                self._drop()
                raise self._fail(f"in folder {folder!r}: {_reason(exc)}") from None

    def _select(self, folder: str) -> imaplib.IMAP4:
        imap = self._connect()
        if self._selected != folder:
            typ, data = imap.select(_quote(encode_folder(folder)), readonly=True)
            if typ != "OK":
                raise self._fail(
                    f"cannot open folder {folder!r} ({_text(data)}); the server has: "
                    f"{', '.join(self._folder_names(imap)) or 'no folders'}"
                )
            self._validity = _uidvalidity(imap)
            self._selected = folder
        return imap

    def _connect(self) -> imaplib.IMAP4:
        if self._imap is not None:
            return self._imap
        context = ssl.create_default_context(cafile=self.ca_file and str(self.ca_file))
        try:
            if self.tls == "ssl":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=context, timeout=self.timeout
                )
            else:
                imap = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except ssl.SSLCertVerificationError as exc:
            raise self._untrusted(exc) from None
        try:
            if self.tls == "starttls":
                if "STARTTLS" not in imap.capabilities:
                    raise self._fail(
                        'the server does not offer STARTTLS; use tls = "ssl" (usually port '
                        '993), or tls = "none" only for a server on this machine'
                    )
                imap.starttls(ssl_context=context)
            self._login(imap)
        except ssl.SSLCertVerificationError as exc:
            _shutdown(imap)
            raise self._untrusted(exc) from None
        except BaseException:
            _shutdown(imap)
            raise
        self._imap = imap
        self._selected = None
        return imap

    def _login(self, imap: imaplib.IMAP4) -> None:
        user, password = self.username, self._password
        try:
            if user.isascii() and password.isascii():
                imap.login(user, password)
            else:  # LOGIN is ASCII-only; AUTHENTICATE PLAIN carries UTF-8
                token = f"\0{user}\0{password}".encode()
                imap.authenticate("PLAIN", lambda _challenge: token)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise self._fail(
                f"the server refused the login ({_reason(exc)}); check username and password "
                "(Gmail, Outlook and Fastmail need an app password)"
            ) from None

    def _untrusted(self, exc: ssl.SSLCertVerificationError) -> SourceError:
        return self._fail(
            f"the server's TLS certificate is not trusted ({exc.verify_message or exc}); for "
            "a self-signed server set ca_file to its certificate or CA"
        )

    def _folder_names(self, imap: imaplib.IMAP4) -> list[str]:
        try:
            typ, data = imap.list()
        except imaplib.IMAP4.error:
            return []
        names = []
        for line in data if typ == "OK" else []:
            if isinstance(line, bytes):
                match = re.search(rb'\) (?:"[^"]*"|NIL) (.+)$', line)
                if match:
                    names.append(decode_folder(match.group(1).decode().strip('"')))
        return sorted(names)[:30]

    def _drop(self) -> None:
        if self._imap is not None:
            _shutdown(self._imap)
        self._imap = None
        self._selected = None

    def close(self) -> None:
        """Log out (politely) and close the connection, if one is open."""
        imap, self._imap, self._selected = self._imap, None, None
        if imap is None:
            return
        try:
            imap.logout()
        except Exception:
            _shutdown(imap)


def doc_id(folder: str, uidvalidity: int, uid: int) -> str:
    return f"{folder}/{uidvalidity}/{uid}"


def _uid_list(imap: imaplib.IMAP4) -> list[int]:
    """Every UID in the selected folder, ascending."""
    if "ESEARCH" in imap.capabilities:  # ranges ("1:5000,5002") instead of every number
        imap.untagged_responses.pop("ESEARCH", None)
        _ok(imap.uid("SEARCH", "RETURN", "(ALL)", "ALL"))
        answer = b" ".join(imap.untagged_responses.pop("ESEARCH", [b""]))
        match = re.search(rb"\bALL ([0-9:,]+)", answer)
        uids = _expand(match.group(1).decode()) if match else []
    else:
        data = _ok(imap.uid("SEARCH", "ALL"))
        uids = [int(n) for n in b" ".join(d for d in data if d).split()]
    return sorted(set(uids))


def _uidvalidity(imap: imaplib.IMAP4) -> int:
    _, data = imap.response("UIDVALIDITY")
    try:
        return int(data[-1])
    except (TypeError, ValueError, IndexError):
        raise imaplib.IMAP4.error("the server sent no UIDVALIDITY for the folder") from None


def _fetch(imap: imaplib.IMAP4, uids: list[int]) -> list[_Fetched]:
    """The messages of ``uids`` (those still there), in UID order."""
    data = _ok(imap.uid("FETCH", _uid_set(uids), "(UID FLAGS INTERNALDATE BODY.PEEK[])"))
    wanted = set(uids)
    found: dict[int, _Fetched] = {}
    items = list(data)
    for index, item in enumerate(items):
        if not isinstance(item, tuple):
            continue
        attributes = item[0]
        after = items[index + 1] if index + 1 < len(items) else b""
        if isinstance(after, bytes) and after[:1] in (b")", b" "):
            attributes += after  # attributes sent after the literal
        uid = _UID.search(attributes)
        if uid is None or int(uid.group(1)) not in wanted:
            continue
        flags = _FLAGS.search(attributes)
        date = _INTERNALDATE.search(attributes)
        found[int(uid.group(1))] = _Fetched(
            uid=int(uid.group(1)),
            flags=sorted(
                {f for f in (flags.group(1).decode().split() if flags else [])} - _SESSION_FLAGS
            ),
            internal_date=_internal_date(date.group(1).decode()) if date else None,
            raw=item[1],
        )
    return [found[uid] for uid in sorted(found)]


def _ok(response: tuple[str, list[Any]]) -> list[Any]:
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(f"the server answered {typ}: {_text(data)}")
    return data


def _internal_date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None


def _uid_set(uids: Iterable[int]) -> str:
    """``1:4,7,9:10`` for [1, 2, 3, 4, 7, 9, 10]: short commands for long batches."""
    ranges: list[list[int]] = []
    for uid in sorted(uids):
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1][1] = uid
        else:
            ranges.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in ranges)


def _expand(uid_set: str) -> list[int]:
    uids: list[int] = []
    for part in uid_set.split(","):
        first, _, last = part.partition(":")
        if first:
            start, end = int(first), int(last or first)
            uids.extend(range(min(start, end), max(start, end) + 1))
    return uids


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: Any) -> str:
    parts = data if isinstance(data, list) else [data]
    return " ".join(
        p.decode(errors="replace") if isinstance(p, bytes) else str(p) for p in parts if p
    )


def _reason(exc: BaseException) -> str:
    text = _text(list(exc.args)) if exc.args else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _shutdown(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):
        imap.shutdown()


def _encode_cursor(state: dict[str, dict[str, int]]) -> str:
    return encode_cursor(**{folder: dict(value) for folder, value in state.items()})


def _decode_cursor(cursor: str) -> dict[str, dict[str, int]]:
    try:
        value = json.loads(cursor)
    except ValueError:
        value = None
    if isinstance(value, dict) and all(
        isinstance(position, dict)
        and set(position) == {"uidvalidity", "uid"}
        and all(type(n) is int and n >= 0 for n in position.values())
        for position in value.values()
    ):
        return {folder: dict(position) for folder, position in value.items()}
    raise CursorError(
        f"{TYPE} cursor {cursor!r} is not valid: expected JSON like {_CURSOR_EXAMPLE}; "
        "reset the checkpoint or set a cursor of that form"
    )
