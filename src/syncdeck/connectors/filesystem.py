"""A folder of text notes (Markdown, plain text, reStructuredText, Org, HTML), mirrored:
every run lists the tree, reads only what changed, and lets the store drop what is gone."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

from syncdeck.connectors import checks
from syncdeck.connectors.cursors import decode_cursor, encode_cursor
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.html_text import html_to_text
from syncdeck.connectors.listing import counted, digest, with_stored_versions
from syncdeck.core.connector import BaseConnector, SyncItem
from syncdeck.core.documents import Checkpoint, Document, ListingComplete, Progress, Unchanged
from syncdeck.core.errors import ConfigError

TYPE = "filesystem"
DEFAULT_INCLUDE = ("**/*.md", "**/*.txt", "**/*.rst", "**/*.org", "**/*.html")
DEFAULT_EXCLUDE = ("**/.*", "**/.*/**")  # hidden files and folders (.git, .obsidian, ...)

_MD_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$")
_ORG_TITLE = re.compile(r"^#\+title:[ \t]*(.+?)[ \t]*$", re.IGNORECASE)
_ORG_HEADING = re.compile(r"^\*+[ \t]+(.+?)[ \t]*$")
CHECKPOINT_EVERY = 100  # files listed between checkpoints
PROGRESS_EVERY = 20  # files between progress hints
# The listing is taken whole before the first file is read when it has at most this many
# files, so the progress hint knows the total (a larger tree is streamed, total unknown).
COUNT_AT_MOST = 20_000
# Bumped when the way a file becomes a Document changes, so stored versions go stale.
DOCUMENT_REVISION = "1"


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


def path_id(relpath: str) -> str:
    """The document id of a relative path: the path itself when it is valid UTF-8.

    File names are bytes on POSIX. Undecodable bytes become ``\\xNN`` and a literal
    backslash becomes ``\\\\``, so the mapping is reversible: two names differing only in
    undecodable bytes get two ids, and every id is valid UTF-8 (it can go into a cursor,
    a JSON event or the store). Python hands such names over with surrogate escapes.
    """
    if "\\" not in relpath:
        try:
            relpath.encode("utf-8")
            return relpath
        except UnicodeEncodeError:
            pass
    raw = os.fsencode(relpath)
    return "\\\\".join(part.decode("utf-8", "backslashreplace") for part in raw.split(b"\\"))


@dataclass(frozen=True, slots=True)
class ListedFile:
    """One file of the listing: its id, where it is, and its stat."""

    doc_id: str
    path: str  # absolute, as the OS gave it (surrogate escapes for undecodable bytes)
    suffix: str
    size: int
    mtime_ns: int
    version: str


class FilesystemConnector(BaseConnector):
    """Text notes in a folder, mirrored by a listing compared with the stored versions.

    Every run walks the whole tree and stats each matching file. A file's version is its
    size, modification time, inode and change time: a file whose version equals the stored
    one is reported unchanged without being read; any other file is read. The run ends
    with a complete listing, so the store drops what the tree no longer holds. Renames,
    moves, files arriving with an old modification time (``mv``, ``cp -p``, ``rsync -a``,
    ``tar x``, ``unzip``), an edit whose modification time was put back (its size, inode or
    change time moved) and deletions are all seen, whatever the clocks say.

    The document id is the path relative to the folder (undecodable bytes of a file name
    escaped as ``\\xNN``, see ``path_id``). The cursor names the last file of the current
    pass, for progress: a resumed run lists everything again, and the files it had done
    cost a stat each, since their versions were stored with them. A folder that is
    missing (an unmounted share) fails the run; an empty folder lists nothing, and the
    deletion guard keeps the store.

    Parameters:
        path: the folder to read (searched recursively)
        include: globs of files to read, relative to path (default: Markdown, text, rst, Org, HTML)
        exclude: globs of files to skip (default: hidden files and folders)
        encoding: text encoding of the notes; undecodable bytes are replaced
    """

    connector_id = TYPE
    display_name = "Notes folder"
    lists_source = True  # every run ends with a complete listing
    type_name = TYPE  # the connector type, in messages
    default_include: tuple[str, ...] = DEFAULT_INCLUDE
    default_exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    always_exclude: tuple[str, ...] = ()  # skipped whatever ``exclude`` says

    def __init__(
        self,
        path: Path,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        encoding: str = "utf-8",
    ) -> None:
        kind = self.type_name
        self.root = checks.source_path(kind, "path", path, kind="folder")
        self.include = checks.string_list(
            kind, "include", list(self.default_include) if include is None else include
        )
        self.exclude = checks.string_list(
            kind, "exclude", list(self.default_exclude) if exclude is None else exclude
        )
        self.encoding = checks.text(kind, "encoding", encoding, required=True)
        try:
            "".encode(self.encoding)
        except LookupError:
            raise ConfigError(
                f"{kind}: parameter 'encoding': unknown encoding {encoding!r}"
            ) from None
        excluded = [*self.always_exclude, *self.exclude]
        self._include = [glob_pattern(g) for g in self.include]
        self._exclude = [glob_pattern(g) for g in excluded]
        # Folders whose whole content is excluded ("x/**") are not even entered.
        self._pruned = [glob_pattern(g[:-3]) for g in excluded if g.endswith("/**")]
        self._variant = digest(kind, self.encoding, DOCUMENT_REVISION)[:8]

    def describe(self) -> str:
        return f"notes in {path_id(str(self.root))} ({', '.join(self.include)})"

    def check_cursor(self, cursor: str) -> None:
        self._decode(cursor)

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        """Every file of the tree: unchanged ones as markers, the others read."""
        if cursor is not None:
            self._decode(cursor)  # a hand-edited cursor of another shape is reported
        source = self.connector_id or self.type_name
        files, total = counted(self.listing(), COUNT_AT_MOST)
        listing = with_stored_versions(self.stored, files, lambda f: f.doc_id)
        last = ""
        count = 0
        for count, (file, stored_version) in enumerate(listing, start=1):
            if stored_version == file.version:
                yield Unchanged(file.doc_id)
            else:
                document = self._read(file, source)
                if document is not None:
                    yield document
            last = file.doc_id
            if count % PROGRESS_EVERY == 0:
                yield Progress(count, total, "files")
            if count % CHECKPOINT_EVERY == 0:
                yield Checkpoint(encode_cursor(path=last))
        yield Progress(count, count, "files")
        yield Checkpoint(encode_cursor(path=last))
        yield ListingComplete()

    def listing(self) -> Iterator[ListedFile]:
        """Every matching file, in path order, with its stat (nothing is read).

        Raises SourceError when the folder itself is gone, or a folder in it cannot be
        listed: a listing with holes must not make the store drop what it missed.
        """
        if not os.path.isdir(self.root):
            raise SourceError(
                f"{self.type_name}: the folder {path_id(str(self.root))} is missing "
                "(unmounted, moved or deleted?); nothing was synced and nothing deleted. "
                "Mount or restore it, or change 'path'"
            )
        # Depth first with an explicit stack: one generator frame, whatever the depth.
        stack = [(iter(self._entries(str(self.root), root=True)), "")]
        include, exclude, pruned = self._include, self._exclude, self._pruned
        variant = self._variant
        while stack:
            entry = next(stack[-1][0], None)
            if entry is None:
                stack.pop()
                continue
            relpath = stack[-1][1] + entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            doc_id = path_id(relpath)
            if is_dir:
                if not any(p.match(doc_id) for p in pruned):
                    stack.append((iter(self._entries(entry.path)), relpath + "/"))
                continue
            if not any(p.match(doc_id) for p in include) or any(p.match(doc_id) for p in exclude):
                continue
            try:
                stat = entry.stat()  # follows a symlink to its target
            except OSError:
                continue  # vanished, or a dangling link
            if not S_ISREG(stat.st_mode):
                continue  # a link to a folder, a socket, a fifo
            size, mtime_ns = stat.st_size, stat.st_mtime_ns
            yield ListedFile(
                doc_id,
                entry.path,
                os.path.splitext(entry.name)[1].lower(),
                size,
                mtime_ns,
                f"{size}:{mtime_ns}:{stat.st_ino}:{stat.st_ctime_ns}:{variant}",
            )

    def _entries(self, folder: str, *, root: bool = False) -> list[os.DirEntry[str]]:
        """A folder's entries by name; a folder that vanished meanwhile has none."""
        try:
            with os.scandir(folder) as scan:
                return sorted(scan, key=_name)
        except FileNotFoundError:
            if root:
                raise SourceError(
                    f"{self.type_name}: the folder {path_id(str(self.root))} vanished "
                    "while it was listed"
                ) from None
            return []  # a subfolder removed during the walk: its files are gone
        except OSError as exc:
            raise SourceError(
                f"{self.type_name}: cannot list {path_id(folder)}: {exc.strerror or exc}; fix its "
                "permissions or exclude it (a folder that cannot be listed would look deleted)"
            ) from exc

    def _read(self, file: ListedFile, source: str) -> Document | None:
        try:
            with open(file.path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return None  # deleted since the listing: the store drops it
        except OSError as exc:
            raise SourceError(
                f"{self.type_name}: cannot read {path_id(file.path)}: {exc.strerror or exc}; "
                "fix its permissions or exclude it"
            ) from exc
        return self.note_document(file, raw.decode(self.encoding, errors="replace"), source)

    def note_document(self, file: ListedFile, text: str, source: str) -> Document:
        """The Document of one note; subclasses add what their notes carry."""
        suffix = file.suffix
        content = html_to_text(text).text if suffix in {".html", ".htm"} else text
        return Document(
            doc_id=file.doc_id,
            source=source,
            doc_type="note",
            content=content,
            title=note_title(text, suffix) or _stem(file.doc_id),
            timestamp=datetime.fromtimestamp(file.mtime_ns / 1e9, UTC),
            url=Path(file.path).as_uri(),
            metadata={"path": file.doc_id, "size": file.size, "format": suffix.lstrip(".")},
            version=file.version,
        )

    def _decode(self, cursor: str) -> str:
        return decode_cursor(
            cursor, connector=self.type_name, example='{"path": "notes/a.md"}', path=str
        )["path"]


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _stem(doc_id: str) -> str:
    name = doc_id.rsplit("/", 1)[-1]
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name
