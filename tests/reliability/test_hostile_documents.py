"""Documents that try to break the pipeline: stored or quarantined, never lost silently."""

from __future__ import annotations

from syncdeck import Document, IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.core.pipeline import MAX_CONTENT_BYTES

from .conftest import Scripted


def test_hostile_stream_is_stored_or_quarantined(locations: tuple[str, str]) -> None:
    big = "word " * 400_000  # 2 MB: stored
    docs: list[Document] = [
        Document("huge", "h", "note", big),
        Document("too-big", "h", "note", "x" * (MAX_CONTENT_BYTES + 1)),
        Document("nul", "h", "note", "a\x00b"),
        Document("surrogate", "h", "note", "bad \ud800 half"),
        Document("rtl", "h", "note", "\u202eevil\u202c ‮ zalgo z̷̢a̵l̴g̸o"),
        Document(None, "h", "note", "no id"),  # type: ignore[arg-type]
        Document("typed", "h", "note", b"bytes"),  # type: ignore[arg-type]
        Document("dup", "h", "note", "first"),
        Document("dup", "h", "note", "second"),
        Document("shared-id", "other-source", "note", "same id elsewhere"),
        Document("shared-id", "h", "note", "same id here"),
    ]
    with (
        KnowledgeStore(locations[0]) as store,
        SyncEngine(IngestionPipeline(store), state_db=locations[1]) as engine,
    ):
        engine.sync(Scripted("h", docs, {len(docs)}))
        reasons = {r.doc_id: r.reason for r in engine.rejected("h")}
        assert set(reasons) == {"too-big", None, "typed"}
        assert "over the" in reasons["too-big"]
        assert "doc_id must be a string" in reasons[None]
        assert "content must be a string, got bytes" in reasons["typed"]
        assert store.get("h", "huge")["content"] == big
        assert store.get("h", "nul")["content"] == "a\x00b"
        assert store.get("h", "surrogate")["content"] == "bad \ufffd half"
        assert store.get("h", "dup")["content"] == "second"
        assert store.get("other-source", "shared-id")["content"] == "same id elsewhere"
        assert store.get("h", "shared-id")["content"] == "same id here"
        run = engine.runs("h")[0]
        assert (run.documents, run.rejected) == (len(docs), 3)
        # the connector's stored documents: 3 were rejected, and "dup" twice is one
        assert engine.get_checkpoint("h")["items_synced"] == len(docs) - 4 == store.count()
        store.check_index()
