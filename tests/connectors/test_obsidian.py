"""The obsidian connector on a real vault: front matter, links, tags, ignored folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syncdeck.app.registry import ConnectorRegistry
from syncdeck.connectors.obsidian import ObsidianConnector, parse_note

from .conftest import MemoryStore, run

PLAN = """---
title: Launch plan
tags: [project/alpha, planning]
aliases:
  - Plan A
  - "Launch: the plan"
created: 2024-03-01
modified: 2024-03-05T10:30:00
status: draft
owner:
  name: Ada
---
# Launch

See [[Roadmap]], [[Roadmap#Q2|the Q2 part]], [[People/Ada Moreau|Ada]] and [[#Risks]].
![[diagram.png]] and ![[Roadmap#Q2]].

Tagged #launch and #project/alpha, #2024 is a number, not a tag; this# neither.
(#inparens) counts, a url https://example.org/#anchor does not.

```python
# [[NotALink]] #not-a-tag
```

Inline `[[AlsoNot]] #nope` code. %% a comment with [[Hidden]] #hidden %%
"""


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / ".obsidian" / "snippets").mkdir(parents=True)
    (root / ".obsidian" / "app.json").write_text("{}")
    (root / ".obsidian" / "snippets" / "readme.md").write_text("# settings, not a note\n")
    (root / ".trash").mkdir()
    (root / ".trash" / "old.md").write_text("# deleted note\n")
    (root / "People").mkdir()
    (root / "People" / "Ada Moreau.md").write_text("---\ntags: person, team\n---\nAda.\n")
    (root / "Launch plan.md").write_text(PLAN)
    (root / "Roadmap.md").write_text("# Roadmap\n\n## Q2\n\nShip it. #roadmap\n")
    (root / "canvas.canvas").write_text("{}")
    return root


def test_a_vault_becomes_notes_with_front_matter_links_and_tags(vault: Path) -> None:
    result = run(ObsidianConnector(vault))
    assert result.ids == ["Launch plan.md", "People/Ada Moreau.md", "Roadmap.md"]
    assert result.complete
    plan = result.docs[0]
    assert plan.title == "Launch plan"
    assert plan.content.startswith("# Launch\n")  # the front matter is metadata
    assert "status: draft" not in plan.content
    meta = plan.metadata
    assert meta["tags"] == ["project/alpha", "planning", "launch", "inparens"]
    assert meta["aliases"] == ["Plan A", "Launch: the plan"]
    assert meta["links"] == ["Roadmap", "People/Ada Moreau"]
    assert meta["embeds"] == ["diagram.png", "Roadmap"]
    assert meta["created"] == "2024-03-01"
    assert meta["modified"] == "2024-03-05T10:30:00"
    assert meta["properties"] == {"status": "draft", "owner": {"name": "Ada"}}
    assert (meta["path"], meta["format"]) == ("Launch plan.md", "md")
    json.dumps(meta)  # storable as it is
    ada, roadmap = result.docs[1], result.docs[2]
    assert ada.title == "Ada Moreau"  # the note's name, as Obsidian shows it
    assert ada.metadata["tags"] == ["person", "team"]
    assert roadmap.title == "Roadmap" and roadmap.metadata["tags"] == ["roadmap"]
    assert {doc.source for doc in result.docs} == {"obsidian"}


def test_settings_and_trash_are_never_read_whatever_exclude_says(vault: Path) -> None:
    ids = run(ObsidianConnector(vault, exclude=[])).ids
    assert not [i for i in ids if i.startswith((".obsidian/", ".trash/"))]


def test_renames_and_deletions_are_mirrored_like_a_notes_folder(vault: Path) -> None:
    store = MemoryStore()
    store.sync(ObsidianConnector(vault))
    (vault / "Archive").mkdir()
    (vault / "Roadmap.md").rename(vault / "Archive" / "Roadmap 2024.md")
    (vault / "People" / "Ada Moreau.md").unlink()
    again = store.sync(ObsidianConnector(vault))
    assert again.ids == ["Archive/Roadmap 2024.md"]
    assert again.unchanged == ["Launch plan.md"]
    assert sorted(store.docs) == ["Archive/Roadmap 2024.md", "Launch plan.md"]
    assert store.docs["Archive/Roadmap 2024.md"].title == "Roadmap 2024"


@pytest.mark.parametrize(
    ("front", "error"),
    [
        ("---\ntags: [unclosed\n---\nbody\n", "while parsing"),
        ("---\n- just\n- a list\n---\nbody\n", "not a mapping"),
    ],
)
def test_a_broken_front_matter_is_reported_and_kept_in_the_text(front: str, error: str) -> None:
    note = parse_note(front)
    assert error in note["front_matter_error"]
    assert note["body"].endswith("body\n")


def test_front_matter_variants() -> None:
    note = parse_note("\ufeff---\ntags: '#a, b'\nalias: One\ntitle: 42\n...\ntext #c\n")
    assert note["tags"] == ["a", "b", "c"]
    assert note["aliases"] == ["One"]
    assert note["title"] == "42"
    assert note["body"] == "text #c\n"
    assert parse_note("no front matter [[X|y]]")["links"] == ["X"]
    assert "tags" not in parse_note("---\n---\nplain\n")


def test_unsafe_yaml_is_not_executed() -> None:
    note = parse_note("---\nx: !!python/object/apply:os.system ['echo hi']\n---\nbody\n")
    assert "front_matter_error" in note


def test_registry_documents_every_parameter(vault: Path) -> None:
    registry = ConnectorRegistry({"obsidian": "syncdeck.connectors.obsidian:ObsidianConnector"})
    params = registry.parameters(registry.resolve("obsidian"))
    assert [p.name for p in params] == ["path", "include", "exclude", "encoding"]
    assert all(p.doc for p in params)
    assert "Obsidian vault" in ObsidianConnector(vault).describe()
