"""The feed connector against real feeds served by an HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from servers.static_http import StaticServer

from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.feed import FeedConnector
from syncdeck.core.documents import Checkpoint, Deleted, Document, ListingComplete, Unchanged
from syncdeck.core.errors import ConfigError
from syncdeck.core.inspection import inspect_connector

from .conftest import SAMPLES, assert_aware_utc, run
from .stored import FakeStored

FEEDS = Path(__file__).with_name("feed_samples")
BLOG = SAMPLES / "engineering-blog.rss"
RSS = "application/rss+xml"


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[StaticServer]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = StaticServer()
    yield server
    server.close()


def feed(*urls: str, **params: object) -> FeedConnector:
    connector = FeedConnector(list(urls), timeout=5.0, **params)  # type: ignore[arg-type]
    connector.connector_id = "news"
    return connector


def rss(items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 feed of (guid, title, html) items."""
    body = "".join(
        f"<item><title>{title}</title><guid>https://x.example/{guid}</guid>"
        f"<pubDate>{ord(guid[0]) % 28 + 1:02d} Apr 2024 10:00:00 GMT</pubDate>"
        f"<description><![CDATA[{html}]]></description></item>"
        for guid, title, html in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>X</title>{body}</channel></rss>'
    )


# --- formats ----------------------------------------------------------------------------


def test_rss_091_latin1_without_dates(web: StaticServer) -> None:
    url = web.publish("/notices", (FEEDS / "rss091.xml").read_bytes(), "text/xml")
    result = run(feed(url))
    assert result.ids == [
        "http://notices.harbour.example/2024/031",  # no guid: the link is the id
        "http://notices.harbour.example/2024/030",
    ]
    first, second = result.docs
    assert first.title == "Dredging at berth 4 & 5"
    assert first.content == (
        "Dredging works at berths 4 and 5 from 2 April. Keep a 50 m distance from the dredger."
    )
    assert "Café" in second.content  # decoded from ISO-8859-1
    assert first.timestamp == datetime(1970, 1, 1, tzinfo=UTC)  # undated: a fixed time
    assert first.source == "news" and first.doc_type == "feed_entry"
    assert first.metadata == {"feed": "Harbour Notices", "feed_url": url}


def test_rss_10_rdf_with_dublin_core(web: StaticServer) -> None:
    url = web.publish("/tides.rdf", (FEEDS / "rss10.rdf").read_bytes(), "application/rdf+xml")
    result = run(feed(url))
    assert result.ids == [
        "https://tides.example.org/updates/2024-04",
        "https://tides.example.org/updates/2024-03",
    ]
    april = result.docs[0]
    assert april.author == "Hydrographic Office"
    assert april.timestamp == datetime(2024, 3, 28, 9, 0, tzinfo=UTC)  # +01:00 in the feed
    assert april.metadata["tags"] == ["tides"]
    assert_aware_utc(result.docs)


def test_atom_with_xhtml_content_relative_links_and_inherited_author(web: StaticServer) -> None:
    url = web.publish("/atom.xml", (FEEDS / "atom.xml").read_bytes(), "application/atom+xml")
    result = run(feed(url))
    release, patch = result.docs
    assert release.doc_id == "tag:kestrel-labs.example,2024:release-1.4"
    assert release.title == "Version 1.4 released"  # type="html" title reduced to text
    assert release.content == "Resumes are twice as fast.\n\n- IMAP connector\n- Feed connector"
    assert release.author == "Priya Nair <priya@kestrel-labs.example>"
    assert release.url == f"{web.url}/2024/v1.4"  # relative to where the feed came from
    assert release.metadata["enclosures"] == [
        {
            "url": "https://releases.kestrel-labs.example/files/sync-1.4.tar.gz",
            "type": "application/gzip",
            "length": "1048576",
        }
    ]
    assert release.metadata["tags"] == ["release", "sync"]
    assert patch.author == "Kestrel Labs <releases@kestrel-labs.example>"  # the feed's
    assert patch.timestamp == datetime(2024, 3, 2, 6, 0, tzinfo=UTC)
    assert patch.content == "Fixes a crash when the disk is full."


def test_rss_20_sample_blog_from_a_file() -> None:
    result = run(feed(str(BLOG)))
    assert len(result.docs) == 10
    assert len(set(result.ids)) == 10
    assert all(
        doc_id.startswith("https://blog.kestrel-labs.example/2024/") for doc_id in result.ids
    )
    first = result.docs[0]
    assert first.title == "Why we chose cursors over timestamps"
    assert first.author == "Tomás Reyes"
    assert first.content.startswith("Timestamps looked simpler: give me everything since")
    assert "- Opaque to the client" in first.content and "<" not in first.content
    assert first.metadata["tags"] == ["Architecture"]
    assert first.metadata["feed"] == "Kestrel Labs Engineering"
    assert_aware_utc(result.docs)
    report = inspect_connector(feed(str(BLOG)), limit=1000)
    assert report.error is None and report.warnings == [] and report.exhausted


# --- conditional GET --------------------------------------------------------------------


@pytest.mark.parametrize("with_etag", [True, False], ids=["etag", "last-modified"])
def test_an_unchanged_feed_is_answered_304_and_costs_nothing(
    web: StaticServer, with_etag: bool
) -> None:
    url = web.publish("/blog", BLOG.read_bytes(), RSS, etag=with_etag)
    news = feed(url)
    first = run(news)
    assert len(first.docs) == 10
    cursor = json.loads(first.cursor)["feeds"][url]
    assert ("etag" in cursor) is with_etag and "last_modified" in cursor
    second = run(news, cursor=first.cursor)
    assert second.items == []  # nothing parsed, nothing yielded, the cursor kept
    assert web.hits["/blog"] == 2 and web.not_modified["/blog"] == 1
    sent = web.request_headers[-1]
    assert sent.get("If-None-Match") == (web.pages["/blog"].tag if with_etag else None)
    assert sent["If-Modified-Since"] == web.pages["/blog"].last_modified


def test_edited_entries_are_ingested_again_and_the_rest_is_unchanged(web: StaticServer) -> None:
    items = [("a", "Alpha", "<p>one</p>"), ("b", "Beta", "<p>two</p>"), ("c", "Gamma", "3")]
    url = web.publish("/f", rss(items), RSS)
    news = feed(url)
    first = run(news)
    news.stored = FakeStored(first.items)
    items[1] = ("b", "Beta", "<p>two, <em>corrected</em></p>")
    web.publish("/f", rss(items), RSS, last_modified="Tue, 02 Apr 2024 10:00:00 GMT")
    second = list(news.sync(since=None, cursor=first.cursor))
    assert [type(i).__name__ for i in second] == [
        "Unchanged",
        "Document",
        "Unchanged",
        "Checkpoint",
    ]
    edited = second[1]
    assert isinstance(edited, Document)
    assert (edited.doc_id, edited.content) == ("https://x.example/b", "two, corrected")
    assert edited.version != news.stored.version("https://x.example/b")
    assert [i.doc_id for i in second if isinstance(i, Unchanged)] == [
        "https://x.example/a",
        "https://x.example/c",
    ]


def test_a_feed_is_a_window_entries_that_leave_it_are_kept(web: StaticServer) -> None:
    url = web.publish("/f", rss([("a", "A", "1"), ("b", "B", "2")]), RSS)
    news = feed(url)
    first = run(news)
    news.stored = FakeStored(first.items)
    web.publish("/f", rss([("b", "B", "2"), ("c", "C", "3")]), RSS)
    second = list(news.sync(since=None, cursor=first.cursor))
    assert not any(isinstance(i, Deleted | ListingComplete) for i in second)
    assert [i.doc_id for i in second if isinstance(i, Document)] == ["https://x.example/c"]


# --- transport ------------------------------------------------------------------------


def test_redirects_and_gzip_are_followed(web: StaticServer) -> None:
    web.publish("/new/feed.xml", BLOG.read_bytes(), RSS, gzip=True)
    web.redirect("/feed", "/moved", 302)
    web.redirect("/moved", f"{web.url}/new/feed.xml", 301)
    result = run(feed(f"{web.url}/feed"))
    assert len(result.docs) == 10
    assert web.hits == {"/feed": 1, "/moved": 1, "/new/feed.xml": 1}
    assert "gzip" in web.request_headers[-1]["Accept-Encoding"]
    assert result.docs[0].metadata["feed_url"] == f"{web.url}/feed"  # as configured


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/feed"])
def test_a_redirect_out_of_http_is_refused(web: StaticServer, target: str) -> None:
    web.redirect("/feed", target)
    with pytest.raises(SourceError, match=r"refusing a redirect from http to (file|ftp)"):
        run(feed(f"{web.url}/feed"))


def test_size_limits_hold_after_decompression(web: StaticServer) -> None:
    bomb = b"<rss>" + b" " * 5_000_000 + b"</rss>"
    web.publish("/bomb", bomb, RSS, gzip=True)
    assert len(gzip.compress(bomb)) < 10_000
    with pytest.raises(SourceError, match=r"larger than max_bytes \(1,000,000 bytes\)"):
        run(feed(f"{web.url}/bomb", max_bytes=1_000_000))


def test_http_errors_name_the_feed_and_the_status(web: StaticServer) -> None:
    with pytest.raises(SourceError, match=r"/gone answered HTTP 404 Not Found"):
        run(feed(f"{web.url}/gone"))
    with pytest.raises(SourceError, match=r"cannot fetch http://127.0.0.1:1/feed"):
        run(feed("http://127.0.0.1:1/feed"))


def test_one_failing_feed_does_not_stop_the_others(web: StaticServer) -> None:
    good = web.publish("/good", rss([("a", "A", "1")]), RSS)
    items: list[object] = []
    with pytest.raises(SourceError, match=r"1 of 2 feeds could not be read .*/bad answered"):
        items.extend(feed(f"{web.url}/bad", good).sync(since=None, cursor=None))
    # the good feed was yielded and checkpointed before the error
    news = feed(f"{web.url}/bad", good)
    seen: list[object] = []
    with pytest.raises(SourceError):
        for item in news.sync(since=None, cursor=None):
            seen.append(item)
    assert [i.doc_id for i in seen if isinstance(i, Document)] == ["https://x.example/a"]
    checkpoint = seen[-1]
    assert isinstance(checkpoint, Checkpoint)
    assert list(json.loads(checkpoint.cursor or "")["feeds"]) == [good]


# --- broken feeds, ids ----------------------------------------------------------------


def test_a_malformed_feed_keeps_what_parses(web: StaticServer) -> None:
    url = web.publish("/cam", (FEEDS / "malformed.xml").read_bytes(), RSS)
    result = run(feed(url))
    # guids that are not URIs are only unique within their feed: prefixed with it
    assert result.ids == [f"{url}#42", f"{url}#43"]
    assert result.docs[0].content == "Visibility under 100 m & falling."


def test_a_source_where_nothing_parses_is_an_error(web: StaticServer, tmp_path: Path) -> None:
    url = web.publish("/moved", (FEEDS / "not-a-feed.html").read_bytes(), "text/html")
    with pytest.raises(SourceError, match=r"/moved is not a readable feed"):
        run(feed(url))
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match=r"empty.xml is not a readable feed"):
        run(feed(str(empty)))


def test_ids_fall_back_to_the_link_then_a_hash_and_repeats_are_dropped(
    web: StaticServer,
) -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Linked</title><link>https://x.example/linked</link></item>"
        "<item><title>Bare</title><pubDate>Mon, 01 Apr 2024 10:00:00 GMT</pubDate></item>"
        "<item><title>Twice</title><guid>https://x.example/2</guid></item>"
        "<item><title>Twice, older copy</title><guid>https://x.example/2</guid></item>"
        "</channel></rss>"
    )
    url = web.publish("/ids", body, RSS)
    result = run(feed(url))
    assert result.ids[0] == "https://x.example/linked"
    assert result.ids[1].startswith(f"{url}#sha256:")
    assert result.ids[2:] == ["https://x.example/2"]
    assert result.docs[2].title == "Twice"
    assert run(feed(url)).ids == result.ids  # stable


def test_a_file_feed_is_read_again_only_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(rss([("a", "A", "1")]))
    news = feed(str(path))
    first = run(news)
    assert first.ids == ["https://x.example/a"]
    assert run(news, cursor=first.cursor).items == []
    path.write_text(rss([("a", "A", "1"), ("b", "B", "2")]))
    os.utime(path, ns=(1_800_000_000_000_000_000, 1_800_000_000_000_000_000))
    assert run(news, cursor=first.cursor).ids == ["https://x.example/a", "https://x.example/b"]
    path.unlink()
    with pytest.raises(SourceError, match="does not exist"):
        run(news, cursor=first.cursor)


def test_parameters_and_cursors_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'urls'"):
        FeedConnector([])
    with pytest.raises(ConfigError, match="neither an http"):
        FeedConnector(["ftp://example.org/feed"])
    with pytest.raises(ConfigError, match="'urls'"):
        FeedConnector("https://example.org/feed")  # type: ignore[arg-type]
    assert FeedConnector(["feed.xml"]).urls == [str(Path.cwd() / "feed.xml")]
    news = FeedConnector(["https://user:pw-secret@example.org/feed?token=abc123"])
    assert "pw-secret" not in news.describe() and "abc123" not in news.describe()
    with pytest.raises(CursorError, match="feeds"):
        run(news, cursor='{"feeds": {"x": {"etag": 5}}}')
