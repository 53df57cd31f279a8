"""The mirror contract from the command line: deletions shown, the guard's stop and its
override, ``forget``, and the delete_limit setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Workspace

LISTED = Path(__file__).with_name("listed_connector.py")


@pytest.fixture
def mirrored(workspace: Workspace) -> Workspace:
    items = workspace.root / "items.json"
    items.write_text(json.dumps({f"note-{i}": f"text {i}" for i in range(10)}))
    with workspace.config.open("a") as fh:
        fh.write(f'\n[connectors.listed]\ntype = "{LISTED}:JsonItems"\npath = "{items}"\n')
    first = workspace.run("sync", "listed")
    assert first.returncode == 0, first.stdout + first.stderr
    return workspace


def _set_items(workspace: Workspace, items: dict[str, str]) -> None:
    (workspace.root / "items.json").write_text(json.dumps(items))


def _status(workspace: Workspace, name: str) -> dict[str, object]:
    data = json.loads(workspace.run("status", "--json").stdout)
    return next(c for c in data["connectors"] if c["id"] == name)


def test_deletions_are_applied_and_reported(mirrored: Workspace) -> None:
    _set_items(mirrored, {f"note-{i}": f"text {i}" for i in range(10) if i not in (2, 5)})
    result = mirrored.run("sync", "listed")
    assert result.returncode == 0
    assert "listed: done: 8 documents (0 new, 0 updated, 8 unchanged, 2 deleted, 0 rejected)" in (
        result.stdout
    )
    listed = _status(mirrored, "listed")
    assert listed["items_synced"] == 8 and listed["last_run"]["deleted"] == 2  # type: ignore[index]
    history = mirrored.run("history", "listed").stdout.splitlines()
    assert history[0].split()[:9] == [
        "RUN",
        "STATUS",
        "STARTED",
        "TOOK",
        "DOCS",
        "NEW",
        "UPD",
        "SAME",
        "DEL",
    ]


def test_the_guard_stops_a_mass_deletion_until_applied(mirrored: Workspace) -> None:
    _set_items(mirrored, {"note-0": "text 0"})  # 9 of 10 gone: the export was emptied?
    held = mirrored.run("sync", "listed")
    assert held.returncode == 1
    assert "deletion guard: this run would delete 9 of the 10 documents of 'listed'" in (
        held.stdout
    )
    assert "syncdeck sync listed --apply-deletes" in held.stdout
    listed = _status(mirrored, "listed")
    assert listed["state"] == "deletes held" and listed["items_synced"] == 10
    assert listed["last_run"]["deletes_held"] == 9  # type: ignore[index]
    applied = mirrored.run("sync", "listed", "--apply-deletes")
    assert applied.returncode == 0, applied.stdout
    assert "9 deleted" in applied.stdout
    assert _status(mirrored, "listed")["items_synced"] == 1


def test_an_empty_source_is_held_whatever_the_limit(mirrored: Workspace) -> None:
    config = mirrored.config.read_text().replace(
        'type = "' + str(LISTED), 'delete_limit = 1.0\ntype = "' + str(LISTED)
    )
    mirrored.config.write_text(config)
    _set_items(mirrored, {})
    held = mirrored.run("sync", "listed")
    assert held.returncode == 1 and "listed none of the 10 stored documents" in held.stdout


def test_a_per_connector_limit_applies(mirrored: Workspace) -> None:
    mirrored.config.write_text(
        mirrored.config.read_text().replace(
            'type = "' + str(LISTED), 'delete_limit = 0.1\ntype = "' + str(LISTED)
        )
    )
    _set_items(mirrored, {f"note-{i}": f"text {i}" for i in range(8)})
    held = mirrored.run("sync", "listed")
    assert held.returncode == 1 and "over its delete_limit of 10%" in held.stdout


def test_a_bad_delete_limit_is_a_configuration_error(workspace: Workspace) -> None:
    workspace.config.write_text(
        workspace.config.read_text().replace("batch_size = 4", "delete_limit = 2")
    )
    result = workspace.run("status")
    assert result.returncode == 2
    assert "[defaults] delete_limit: expected the share" in result.stderr


def test_forget_asks_then_removes_documents_and_state(mirrored: Workspace) -> None:
    refused = mirrored.run("forget", "listed")
    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    assert _status(mirrored, "listed")["items_synced"] == 10
    done = mirrored.run("forget", "listed", "--yes")
    assert done.returncode == 0
    assert "listed: forgotten (10 documents deleted, state removed)" in done.stdout
    assert mirrored.run("search", "text").stdout.startswith("no documents match")
    listed = _status(mirrored, "listed")
    assert (listed["state"], listed["items_synced"], listed["last_run"]) == ("never run", 0, None)
    unknown = mirrored.run("forget", "nobody", "--yes")
    assert unknown.returncode == 2 and "no connector named 'nobody'" in unknown.stderr


def test_inspect_fails_when_a_sync_would_fail(workspace: Workspace) -> None:
    with workspace.config.open("a") as fh:
        fh.write(f'\n[connectors.numbers]\ntype = "{LISTED}:NumberCursor"\n')
    result = workspace.run("inspect", "numbers")
    assert result.returncode == 1
    assert "checkpoint cursor is int 42, not a string" in result.stdout
    assert "naive timestamp 2024-01-01T00:00:00 for 'one'" in result.stdout
