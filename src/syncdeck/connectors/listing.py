"""A connector's full listing of its source, paired with what the store holds of it.

A connector that mirrors its source lists every item each run with a cheap change token
(a file's stat, a row's ``updated_at``, a digest of a message's bytes) and reads only the
items whose token differs from the version stored with the document. The store is asked in
chunks, so a listing of any size costs one indexed lookup per chunk and bounded memory.
See docs/architecture.md, "The mirror contract".
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from syncdeck.core.connector import StoredDocuments

LOOKUP_CHUNK = 500  # ids per stored.versions() call

Entry = TypeVar("Entry")


def with_stored_versions(
    stored: StoredDocuments,
    entries: Iterable[Entry],
    doc_id: Callable[[Entry], str],
    *,
    chunk: int = LOOKUP_CHUNK,
) -> Iterator[tuple[Entry, str | None]]:
    """Each entry with the version the store holds of its document (None: not stored,
    or stored without a version), looked up ``chunk`` entries at a time."""
    iterator = iter(entries)
    while batch := list(itertools.islice(iterator, chunk)):
        known = stored.versions([doc_id(entry) for entry in batch])
        get = known.get
        for entry in batch:
            yield entry, get(doc_id(entry))


def counted(entries: Iterable[Entry], at_most: int) -> tuple[Iterator[Entry], int | None]:
    """``entries`` again, and how many there are when that is at most ``at_most`` (they
    are then read ahead, for a progress total); None for more, which stay streamed so a
    huge listing costs no memory."""
    iterator = iter(entries)
    ahead = list(itertools.islice(iterator, at_most + 1))
    if len(ahead) <= at_most:
        return iter(ahead), len(ahead)
    return itertools.chain(ahead, iterator), None


def lookup_versions(
    stored: StoredDocuments, doc_ids: list[str], *, chunk: int = LOOKUP_CHUNK
) -> dict[str, str | None]:
    """``stored.versions(doc_ids)``, asked ``chunk`` ids at a time."""
    if len(doc_ids) <= chunk:
        return stored.versions(doc_ids)
    known: dict[str, str | None] = {}
    for start in range(0, len(doc_ids), chunk):
        known.update(stored.versions(doc_ids[start : start + chunk]))
    return known


def digest(*parts: bytes | str) -> str:
    """A short, stable digest of ``parts`` for a version token (not for security)."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()
