"""A folder of text notes (Markdown, plain text, reStructuredText, Org, HTML)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from syncdeck.connectors import checks
from syncdeck.connectors.cursors import decode_cursor, encode_cursor
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.html_text import html_to_text
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document
from syncdeck.core.errors import ConfigError

TYPE = "filesystem"
DEFAULT_INCLUDE = ("**/*.md", "**/*.txt", "**/*.rst", "**/*.org", "**/*.html")
DEFAULT_EXCLUDE = ("**/.*", "**/.*/**")  # hidden files and folders (.git, .obsidian, ...)

_MD_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$")
_ORG_TITLE = re.compile(r"^#\+title:[ \t]*(.+?)[ \t]*$", re.IGNORECASE)
_ORG_HEADING = re.compile(r"^\*+[ \t]+(.+?)[ \t]*$")


def glob_pattern(glob: str) -> re.Pattern[str]:
    """A regex for a path glob: ``**`` spans folders, ``*`` and ``?`` stay within one."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and "]" in glob[i + 2 :]:
            end = glob.index("]", i + 2)
            body = glob[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def note_title(text: str, suffix: str) -> str:
    """The first heading in the note's own syntax, or "" when it has none."""
    if suffix in {".html", ".htm"}:
        return html_to_text(text).title
    lines = text.splitlines()[:200]
    if suffix == ".org":
        for line in lines:
            match = _ORG_TITLE.match(line) or _ORG_HEADING.match(line)
            if match:
                return match.group(1)
        return ""
    if suffix == ".rst":
        for i, line in enumerate(lines[:-1]):
            title = line.strip()
            underline = lines[i + 1].rstrip()
            if (
                title
                and not _RST_ADORNMENT.match(line)
                and _RST_ADORNMENT.match(underline)
                and len(underline) >= len(title)
            ):
                return title
        return ""
    if suffix in {".md", ".markdown", ".txt"}:  # plain text often uses Markdown headings
        for i, line in enumerate(lines):
            match = _MD_ATX.match(line)
            if match:
                return match.group(1).strip()
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if line.strip() and _MD_SETEXT.match(following) and not _MD_SETEXT.match(line):
                return line.strip()
    return ""


@dataclass(frozen=True, order=True)
class _Position:
    """Where a file sits in the sync order: by modification time, then path."""

    mtime_ns: int
    relpath: str


class FilesystemConnector(BaseConnector):
    """Text notes in a folder, synced incrementally by modification time.

    Files are read in (modification time, relative path) order and the cursor records the
    last position done, so an edited file (newer mtime) comes again on the next run while
    untouched files are skipped. Deleted files are not reported.

    Parameters:
        path: the folder to read (searched recursively)
        include: globs of files to read, relative to path (default: Markdown, text, rst, Org, HTML)
        exclude: globs of files to skip (default: hidden files and folders)
        encoding: text encoding of the notes; undecodable bytes are replaced
    """

    connector_id = TYPE
    display_name = "Notes folder"

    def __init__(
        self,
        path: Path,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        encoding: str = "utf-8",
    ) -> None:
        self.root = checks.existing_path(TYPE, "path", path, kind="folder")
        self.include = checks.string_list(
            TYPE, "include", list(DEFAULT_INCLUDE) if include is None else include
        )
        self.exclude = checks.string_list(
            TYPE, "exclude", list(DEFAULT_EXCLUDE) if exclude is None else exclude
        )
        self.encoding = checks.text(TYPE, "encoding", encoding, required=True)
        try:
            "".encode(self.encoding)
        except LookupError:
            raise ConfigError(
                f"{TYPE}: parameter 'encoding': unknown encoding {encoding!r}"
            ) from None
        self._include = [glob_pattern(g) for g in self.include]
        self._exclude = [glob_pattern(g) for g in self.exclude]

    def describe(self) -> str:
        return f"notes in {self.root} ({', '.join(self.include)})"

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        """Files after the cursor position; without a cursor, files modified since ``since``."""
        source = self.connector_id or TYPE
        start = self._decode(cursor) if cursor is not None else None
        since_ns = int(since.timestamp() * 1e9) if since is not None and start is None else None
        for position, file in self._listing():
            if start is not None and position <= start:
                continue
            if since_ns is not None and position.mtime_ns < since_ns:
                continue
            document = self._read(file, position, source)
            if document is not None:
                yield document
            yield Checkpoint(encode_cursor(mtime_ns=position.mtime_ns, path=position.relpath))

    def _listing(self) -> list[tuple[_Position, Path]]:
        found: list[tuple[_Position, Path]] = []
        for folder, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            base = Path(folder)
            for name in filenames:
                file = base / name
                relpath = file.relative_to(self.root).as_posix()
                if not any(p.match(relpath) for p in self._include):
                    continue
                if any(p.match(relpath) for p in self._exclude):
                    continue
                try:
                    stat = file.stat()
                except OSError:
                    continue  # vanished or a dangling link
                found.append((_Position(stat.st_mtime_ns, relpath), file))
        found.sort(key=lambda item: item[0])
        return found

    def _read(self, file: Path, position: _Position, source: str) -> Document | None:
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            return None  # deleted since the listing: nothing to sync
        except OSError as exc:
            raise SourceError(
                f"{TYPE}: cannot read {file}: {exc.strerror or exc}; fix its permissions "
                "or exclude it"
            ) from exc
        text = raw.decode(self.encoding, errors="replace")
        suffix = file.suffix.lower()
        content = html_to_text(text).text if suffix in {".html", ".htm"} else text
        return Document(
            doc_id=position.relpath,
            source=source,
            doc_type="note",
            content=content,
            title=note_title(text, suffix) or file.stem,
            timestamp=datetime.fromtimestamp(position.mtime_ns / 1e9, UTC),
            url=file.as_uri(),
            metadata={"path": position.relpath, "size": len(raw), "format": suffix.lstrip(".")},
        )

    @staticmethod
    def _decode(cursor: str) -> _Position:
        value = decode_cursor(
            cursor,
            connector=TYPE,
            example='{"mtime_ns": 1714550400000000000, "path": "notes/a.md"}',
            mtime_ns=int,
            path=str,
        )
        return _Position(value["mtime_ns"], value["path"])
