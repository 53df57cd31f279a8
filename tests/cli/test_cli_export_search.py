"""``syncdeck export`` and the search filters, as real processes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from .conftest import Workspace


@pytest.fixture
def synced(workspace: Workspace) -> Workspace:
    result = workspace.run("sync", "notes", "sloppy")
    assert result.returncode == 0, result.stdout + result.stderr
    return workspace


def test_export_writes_every_document_as_json_lines(synced: Workspace) -> None:
    result = synced.run("export", "notes")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["doc_id"] for row in rows] == [f"n{i}" for i in range(12)]
    first = rows[0]
    assert first["title"] == "Note 0" and first["content"] == "note number 0"
    assert first["connector"] == "notes" and first["participants"] == []
    assert "content_hash" not in first
    assert synced.run_after("export", "notes", "--format", "jsonl").stdout == result.stdout


def test_export_as_csv(synced: Workspace) -> None:
    result = synced.run("export", "notes", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 12 and rows[1]["content"] == "note number 1 about zebras"
    assert json.loads(rows[1]["metadata"]) == {} and rows[1]["timestamp"].startswith("2024-")


def test_export_of_an_unknown_connector_suggests_one(synced: Workspace) -> None:
    result = synced.run("export", "ntoes")
    assert result.returncode == 2
    assert (
        "no connector named 'ntoes'" in result.stderr and "did you mean 'notes'?" in result.stderr
    )


def test_search_filters_by_type_author_and_time(synced: Workspace) -> None:
    def ids(*args: str) -> list[str]:
        result = synced.run("search", "zebras", "--limit", "20", "--json", *args)
        assert result.returncode == 0, result.stderr
        return sorted(hit["doc_id"] for hit in json.loads(result.stdout))

    everything = ids()
    assert everything == sorted(f"n{i}" for i in range(1, 12, 2))
    assert ids("--type", "note") == everything and ids("--type", "mail") == []
    # the notes are an hour apart from 2024-03-01 00:00 UTC
    assert ids("--since", "2024-03-01T05:00:00+00:00", "--until", "2024-03-01T09:00Z") == [
        "n5",
        "n7",
    ]
    assert ids("--author", "nobody") == []


def test_search_in_an_unknown_source_is_an_error(synced: Workspace) -> None:
    result = synced.run("search", "zebras", "--source", "note")
    assert result.returncode == 2
    assert "no source named 'note' in the store; did you mean 'notes'?" in result.stderr
    bad_time = synced.run("search", "zebras", "--since", "last tuesday")
    assert bad_time.returncode == 2 and "cannot read 'last tuesday' as a time" in bad_time.stderr
