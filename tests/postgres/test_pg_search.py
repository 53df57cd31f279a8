"""Reading the PostgreSQL store as the SQLite one reads: snippets framed alike, the same
record shape, the same ordering rules whatever the database's collation. The filter
scenarios themselves run on both backends in tests/core/test_search.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pg_cluster import ROLE, Cluster

from syncdeck import Document, IngestionPipeline, KnowledgeStore

T0 = datetime(2024, 5, 1, tzinfo=UTC)
SNIPPETS = {
    "start": ("quarterly", "quarterly budget review number 0 [draft] see budget"),
    "middle": (
        "needle",
        " ".join(f"w{i}" for i in range(30)) + " needle " + " ".join(f"x{i}" for i in range(30)),
    ),
    "end": ("needle", "a b c d e f g h i j k l m n o p needle"),
    "near-end": ("needle", "a b c d e f g h i j k l m n o p needle q r."),
    "near-start": ("needle", "a b needle c d e f g h i j k l m n o p q"),
    "punctuation": ("needle", "  (needle) x.  "),
    "title-only": ("quarterly", "nothing in here matches but there are many words in this text"),
    "short": ("quarterly", "tiny"),
    "unicode": ("needle", "Ünïcode wörds " * 10 + "needle"),
    "number-last": ("draft", "the budget [draft] number 0"),
    "twice": ("needle", "needle one two three four five six seven eight nine ten eleven needle"),
}


def both(pg_url: str, tmp_path: Path) -> list[KnowledgeStore]:
    return [KnowledgeStore(pg_url), KnowledgeStore(tmp_path / "knowledge.db")]


@pytest.mark.parametrize("case", sorted(SNIPPETS))
def test_snippets_are_framed_and_marked_as_on_sqlite(
    pg_url: str, tmp_path: Path, case: str
) -> None:
    query, content = SNIPPETS[case]
    docs = [Document(case, "s", "note", content, title="quarterly needle")]
    found = []
    for store in both(pg_url, tmp_path):
        with store:
            IngestionPipeline(store).ingest(docs)
            (hit,) = store.search(query)
            found.append((hit.snippet, hit.parts))
    assert found[0] == found[1]
    assert any(marked for _, marked in found[0][1]) == (query in content)


def _awkward_docs() -> list[Document]:
    return [
        Document(
            "nul",
            "s",
            "mail",
            "text\x00with a NUL " + "long " * 60,
            title="\uffffmarked",
            author="Ada\x00",
            participants=["ada@example.org", "bo@example.org"],
            metadata={"labels": ["x"], "size": 3},
            timestamp=T0,
            thread_id="t1",
            url="https://example.org/1",
            version="v1",
        ),
        Document("plain", "s", "note", "plain words", title="Plain", timestamp=T0),
    ]


def test_records_and_previews_have_the_sqlite_shape(pg_url: str, tmp_path: Path) -> None:
    records: list[list[dict[str, Any]]] = []
    previews = []
    for store in both(pg_url, tmp_path):
        with store:
            IngestionPipeline(store).ingest(_awkward_docs())  # owned by source "s"
            exported = list(store.export("s", page=1))
            assert exported == [store.get("s", "nul"), store.get("s", "plain")]
            records.append(exported)
            previews.append([(h.doc_id, h.snippet, h.title, h.author) for h in store.recent()])
    for pg, sqlite in zip(*records, strict=True):
        assert {k: type(v) for k, v in pg.items()} == {k: type(v) for k, v in sqlite.items()}
        assert {k: v for k, v in pg.items() if k != "ingested_at"} == {
            k: v for k, v in sqlite.items() if k != "ingested_at"
        }
        for stamp in (pg["ingested_at"], sqlite["ingested_at"]):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp), stamp
    # equal timestamps: the newest stored first. SQLite's substr() stops at a NUL, so
    # only PostgreSQL's preview of that document is compared with its text.
    assert [(i, t, a) for i, _, t, a in previews[0]] == [(i, t, a) for i, _, t, a in previews[1]]
    assert [doc_id for doc_id, *_ in previews[0]] == ["plain", "nul"]
    assert previews[0][0][1] == previews[1][0][1] == "plain words"
    assert previews[0][1][1] == ("text\x00with a NUL " + "long " * 60)[:160]


def _icu_database(cluster: Cluster) -> str:
    """A database whose collation sorts as people read (``a`` before ``B``) and whose
    ``lower`` folds every letter: what a server set up for English users has."""
    name = cluster.new_database()
    cluster.admin(f"DROP DATABASE {name}")
    cluster.admin(
        f"CREATE DATABASE {name} OWNER {ROLE} TEMPLATE template0 ENCODING 'UTF8' "
        "LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C.utf8'"
    )
    return cluster.url(name)


def test_orders_and_case_folding_do_not_depend_on_the_collation(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    url = _icu_database(pg_cluster)
    docs = [
        Document(f"d{i}", source, kind, "shared words", author=author, timestamp=T0)
        for i, (source, kind, author) in enumerate(
            [
                ("b-src", "Zeta", "ÉLODIE Martin"),
                ("B-src", "alpha", "élodie martin"),
                ("a-src", "Beta", "Ada"),
                ("a-src", "beta", "ADA"),
            ]
        )
    ]
    seen = []
    for store in both(url, tmp_path):
        with store:
            IngestionPipeline(store).ingest(docs)
            seen.append(
                (
                    list(store.sources().items()),
                    list(store.doc_types().items()),
                    {
                        author: sorted(h.doc_id for h in store.search("words", author=author))
                        for author in ("ada", "MARTIN", "élodie", "ÉLODIE")
                    },
                )
            )
    assert seen[0] == seen[1]
    sources, kinds, _ = seen[0]
    assert [name for name, _ in sources] == ["B-src", "a-src", "b-src"]  # code points
    assert [name for name, _ in kinds] == ["Beta", "Zeta", "alpha", "beta"]


def test_a_time_range_in_another_zone_matches_the_same_instants(pg_url: str) -> None:
    with KnowledgeStore(pg_url) as store:
        IngestionPipeline(store).ingest(
            [
                Document(f"h{i}", "s", "note", "hourly", timestamp=T0 + timedelta(hours=i))
                for i in range(6)
            ]
        )
        # naive times are UTC, as on SQLite
        since = datetime(2024, 5, 1, 2)
        until = (T0 + timedelta(hours=4)).astimezone(datetime.now().astimezone().tzinfo)
        assert [h.doc_id for h in store.recent(since=since, until=until)] == ["h3", "h2"]
        assert sorted(h.doc_id for h in store.search("hourly", since=since, until=until)) == [
            "h2",
            "h3",
        ]
