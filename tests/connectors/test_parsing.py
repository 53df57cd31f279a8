"""Shared parsing helpers: timestamps, HTML text and record fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncdeck.connectors.fields import FieldMap, as_list, lookup
from syncdeck.connectors.html_text import html_to_text
from syncdeck.connectors.timestamps import parse_timestamp

MAY_1 = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        1714521600,
        1714521600.0,
        1714521600_000,
        1714521600_000_000,
        1714521600_000_000_000,
        "1714521600",
        "2024-05-01T00:00:00Z",
        "2024-05-01T03:00:00+03:00",
        "2024-05-01",
        "Wed, 01 May 2024 00:00:00 GMT",
        datetime(2024, 5, 1),
    ],
)
def test_parse_timestamp_gives_aware_utc(value: object) -> None:
    parsed = parse_timestamp(value)
    assert parsed == MAY_1
    assert parsed is not None and parsed.tzinfo == UTC


@pytest.mark.parametrize("value", [None, "", "soon", True, [], float("nan"), 10**30])
def test_parse_timestamp_rejects_non_times(value: object) -> None:
    assert parse_timestamp(value) is None


def test_html_to_text_keeps_structure_and_drops_scripts() -> None:
    result = html_to_text(
        "<html><head><title> A  title </title><style>p{}</style></head><body>"
        "<h1>Heading</h1><p>One\n  two <b>three</b></p><ul><li>x</li><li>y &amp; z</li></ul>"
        "<pre>keep\n  indent</pre><script>alert(1)</script>a<br>b<br><br>c"
        "<table><tr><td>1</td><td>2</td></tr></table></body></html>"
    )
    assert result.title == "A title"
    assert result.text == (
        "Heading\n\nOne two three\n\n- x\n- y & z\n\nkeep\n  indent\n\na\nb\n\nc\n\n1 2"
    )


def test_html_title_falls_back_to_the_first_h1() -> None:
    assert html_to_text("<h1>First</h1><h1>Second</h1>").title == "First"
    assert html_to_text("<p>none</p>").title == ""


def test_lookup_follows_dotted_paths_and_list_indexes() -> None:
    record = {"a": {"b": [{"c": 1}, {"c": 2}]}, "x.y": "literal"}
    assert lookup(record, "a.b.1.c") == 2
    assert lookup(record, "a.b.-1.c") == 2
    assert lookup(record, "x.y") == "literal"
    assert lookup(record, "a.missing") is None
    assert lookup(record, "a.b.5") is None
    assert lookup(record, "") is None


def test_as_list() -> None:
    assert as_list(["a", 2, None, " "]) == ["a", "2"]
    assert as_list("a, b,,c") == ["a", "b", "c"]
    assert as_list(None) == []


def test_a_non_object_record_becomes_a_document_the_pipeline_rejects() -> None:
    doc = FieldMap(id_field="id", content_field="text").document([1, 2], source="s")
    assert doc.doc_id == ""
    assert doc.content == "[1, 2]"
    assert "not an object" in doc.metadata["error"]
