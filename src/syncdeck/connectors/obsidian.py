"""An Obsidian vault: Markdown notes with their front matter, links and tags, mirrored.

A vault is a notes folder with conventions of its own, so this type reuses the filesystem
connector's listing and versions (renames, moves and deletions are seen the same way) and
changes only how a note becomes a document: YAML front matter (read with PyYAML's safe
loader; YAML has quoting, block and flow lists and dates that a hand-made parser would
misread), ``[[wikilinks]]`` in their alias, heading and embed forms, and ``#tags``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from syncdeck.connectors.filesystem import FilesystemConnector, ListedFile, path_id
from syncdeck.core.documents import Document

TYPE = "obsidian"
DATE_KEYS = ("created", "modified", "updated", "date")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*$\r?\n?",
                           re.DOTALL | re.MULTILINE)  # fmt: skip
_FENCE = re.compile(r"^ {0,3}(```|~~~).*?(?:^ {0,3}\1[^\n]*$|\Z)", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]|#^\n]*)((?:[#^][^\[\]|\n]*)?)(?:\|([^\[\]\n]*))?\]\]")
_TAG = re.compile(r"(?<![^\s(,;])#([\w/-]+)")


class ObsidianConnector(FilesystemConnector):
    """The Markdown notes of an Obsidian vault, mirrored like a notes folder.

    Every run lists the vault and reads only changed notes (see ``filesystem``); the
    vault's settings folder ``.obsidian/`` and its trash ``.trash/`` are never read. The
    title is the front matter's ``title``, else the note's name, as Obsidian shows it.
    metadata holds ``tags`` (from the front matter and ``#tags`` in the text, without the
    ``#``; nested tags keep their ``/``), ``aliases``, ``links`` (the notes it links to by
    ``[[wikilinks]]``, whatever the alias or heading), ``embeds`` (``![[...]]``), the
    front matter dates (``created``, ``modified``, ``updated``, ``date``) as ISO text,
    and every other front matter property under ``properties``. Links and tags inside
    code and ``%%comments%%`` are not counted. The content is the note without its front
    matter. A front matter that is not valid YAML is kept in the content and reported
    in metadata["front_matter_error"].

    Parameters:
        path: the vault folder
        include: globs of notes to read, relative to path (default: all Markdown files)
        exclude: globs of files to skip (default: hidden files and folders)
        encoding: text encoding of the notes; undecodable bytes are replaced
    """

    connector_id = TYPE
    display_name = "Obsidian vault"
    type_name = TYPE
    default_include = ("**/*.md",)
    always_exclude = (".obsidian/**", ".trash/**")

    def describe(self) -> str:
        return f"Obsidian vault {path_id(str(self.root))}"

    def note_document(self, file: ListedFile, text: str, source: str) -> Document:
        document = super().note_document(file, text, source)
        note = parse_note(text)
        document.content = note.pop("body")
        document.title = note.pop("title") or Path(file.doc_id).stem
        document.metadata.update(note)
        return document


def parse_note(text: str) -> dict[str, Any]:
    """``body``, ``title`` and the metadata of one note's text (see ObsidianConnector)."""
    properties: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    body = text
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.load(match.group(1), Loader=_Loader)
        except yaml.YAMLError as exc:
            metadata["front_matter_error"] = " ".join(str(exc).split())
        else:
            body = text[match.end() :]
            if isinstance(loaded, dict):
                properties = {str(k): _json_safe(v) for k, v in loaded.items()}
            elif loaded is not None:
                metadata["front_matter_error"] = "front matter is not a mapping of properties"
    prose = _COMMENT.sub(" ", _INLINE_CODE.sub(" ", _FENCE.sub(" ", body)))
    title = properties.pop("title", "")
    tags = _names(properties.pop("tags", None)) + _names(properties.pop("tag", None))
    unlinked = _WIKILINK.sub(" ", prose)  # [[#Heading]] is a link, not a tag
    tags += [tag for tag in _TAG.findall(unlinked) if not tag.replace("/", "").isdigit()]
    aliases = _names(properties.pop("aliases", None), keep_hash=True)
    aliases += _names(properties.pop("alias", None), keep_hash=True)
    links: list[str] = []
    embeds: list[str] = []
    for bang, target, _heading, _alias in _WIKILINK.findall(prose):
        target = target.strip()
        if target:
            (embeds if bang else links).append(target)
    for key in DATE_KEYS:
        if key in properties:
            metadata[key] = properties.pop(key)
    found = {
        "tags": list(dict.fromkeys(t.lstrip("#") for t in tags if t.lstrip("#"))),
        "aliases": list(dict.fromkeys(aliases)),
        "links": list(dict.fromkeys(links)),
        "embeds": list(dict.fromkeys(embeds)),
    }
    metadata.update({key: value for key, value in found.items() if value})
    if properties:
        metadata["properties"] = properties
    return {"body": body, "title": title if isinstance(title, str) else str(title), **metadata}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (C-accelerated when libyaml is there): plain data, no objects."""


def _names(value: Any, *, keep_hash: bool = False) -> list[str]:
    """A list property as strings: a YAML list, or text split at commas (and, for tags,
    spaces), as Obsidian accepts both."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = re.split(r"[,\s]+" if not keep_hash else r",", value)
    elif isinstance(value, list):
        parts = [str(item) for item in value if item is not None]
    else:
        parts = [str(value)]
    return [part.strip() for part in parts if part.strip()]


def _json_safe(value: Any) -> Any:
    """YAML values as JSON: dates as ISO text, binary as a note of its size."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value
