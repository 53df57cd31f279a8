"""The demo data shipped in the package parses cleanly with the built-in connectors."""

from __future__ import annotations

import pytest

from syncdeck.connectors.filesystem import FilesystemConnector
from syncdeck.connectors.jsonl import JsonlConnector
from syncdeck.connectors.mailbox import MailboxConnector
from syncdeck.core.connector import BaseConnector
from syncdeck.core.inspection import inspect_connector

from .conftest import SAMPLES, assert_aware_utc, run

SOURCES = {
    "notes": (lambda: FilesystemConnector(SAMPLES / "notes"), range(8, 16)),
    "mail": (lambda: MailboxConnector(SAMPLES / "mail.mbox"), range(15, 31)),
    "chat": (
        lambda: JsonlConnector(SAMPLES / "chat.jsonl", thread_field="channel"),
        range(100, 301),
    ),
}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_sample_data_parses_with_zero_warnings(name: str) -> None:
    factory, expected = SOURCES[name]
    connector: BaseConnector = factory()
    report = inspect_connector(connector, limit=10_000)
    assert report.error is None
    assert report.warnings == []
    assert report.exhausted
    assert report.documents in expected
    docs = run(factory()).docs
    assert_aware_utc(docs)
    assert all(doc.title or name == "chat" for doc in docs)
    assert not any(doc.metadata.get("defects") for doc in docs)


def test_sample_mail_has_threads_html_and_an_attachment() -> None:
    docs = run(MailboxConnector(SAMPLES / "mail.mbox")).docs
    threads = {doc.thread_id for doc in docs}
    assert len(threads) < len(docs) - 5  # replies grouped under their roots
    assert len({doc.author for doc in docs}) >= 5
    assert any(doc.metadata.get("attachments") for doc in docs)
    assert any("<" not in doc.content and "Harbour Watch" in doc.content for doc in docs)


def test_sample_data_stays_small() -> None:
    size = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert size < 300_000
