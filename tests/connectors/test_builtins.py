"""The BUILTINS table: lazy, complete, and every type usable through the registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from syncdeck.app.registry import ConnectorRegistry
from syncdeck.connectors import BUILTINS
from syncdeck.core.connector import BaseConnector
from syncdeck.core.errors import ConfigError

from .conftest import SAMPLES


def test_importing_the_package_imports_no_connector_module() -> None:
    code = (
        "import sys, syncdeck.connectors as c; "
        "print(sorted(m for m in sys.modules if m.startswith('syncdeck.connectors.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_every_builtin_type_is_listed() -> None:
    assert sorted(BUILTINS) == [
        "calendar",
        "demo",
        "feed",
        "filesystem",
        "http",
        "imap",
        "jsonl",
        "mailbox",
        "obsidian",
        "sqlite",
    ]


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_each_type_resolves_and_documents_every_parameter(name: str) -> None:
    registry = ConnectorRegistry(BUILTINS)
    cls = registry.resolve(name)
    assert issubclass(cls, BaseConnector)
    assert cls.display_name
    params = registry.parameters(cls)
    assert params
    undocumented = [p.name for p in params if not p.doc]
    assert undocumented == []
    unannotated = [p.name for p in params if not p.annotation]
    assert unannotated == []


CONFIGS = {
    "filesystem": {"path": "notes"},
    "obsidian": {"path": "notes", "exclude": ["drafts/**"]},
    "mailbox": {"path": "mail.mbox"},
    "jsonl": {"path": "chat.jsonl", "thread_field": "channel"},
    "demo": {"count": 10, "delay": 0, "fail_at": 5},
    "calendar": {"urls": ["team-calendar.ics"], "timezone": "Europe/Dublin"},
    "feed": {"urls": ["engineering-blog.rss", "https://u:hunter22@example.org/feed.xml"]},
    "imap": {"host": "imap.example.org", "username": "me@example.org", "password": "hunter22"},
    "http": {
        "url": "https://api.example.org/v1/items?api_key=hunter22",
        "headers": {"Authorization": "Bearer hunter22"},
    },
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_registry_creates_each_type_from_config_values(name: str) -> None:
    registry = ConnectorRegistry(BUILTINS, base_dir=SAMPLES)  # relative paths from here
    connector = registry.create(name, f"my-{name}", CONFIGS[name])
    assert connector.connector_id == f"my-{name}"
    description = connector.describe()
    assert description and "\n" not in description
    assert "hunter22" not in description


def test_registry_reports_constructor_errors_with_the_table(tmp_path: Path) -> None:
    registry = ConnectorRegistry(BUILTINS, base_dir=tmp_path)
    (tmp_path / "notes.md").write_text("a file")
    with pytest.raises(ConfigError, match=r"\[connectors.notes\].*'path'.*not a folder"):
        registry.create("filesystem", "notes", {"path": "notes.md"})
    with pytest.raises(ConfigError, match=r"\[connectors.api\].*'url'"):
        registry.create("http", "api", {"url": "file:///etc/passwd"})


def test_every_built_in_refuses_a_cursor_it_cannot_read_with_its_reason(tmp_path: Path) -> None:
    """BaseConnector.check_cursor: a cursor typed by hand is checked before it is saved."""
    from syncdeck.app.demo import demo_specs
    from syncdeck.connectors.errors import CursorError

    registry = ConnectorRegistry(BUILTINS)
    checked = set()
    for spec in demo_specs().values():
        connector = registry.create(spec.type, spec.id, spec.params)
        with pytest.raises(CursorError, match="is not valid"):
            connector.check_cursor("{not json")
        checked.add(spec.type)
    others = {
        "sqlite": {"path": str(tmp_path / "db.sqlite"), "table": "t"},
        "http": {"url": "http://127.0.0.1:9/items"},
        "imap": {"host": "127.0.0.1", "username": "u", "password": "p", "tls": "none"},
        "obsidian": {"path": str(tmp_path)},
    }
    for type_name, params in others.items():
        connector = registry.create(type_name, type_name, params)
        with pytest.raises(CursorError, match="is not valid"):
            connector.check_cursor("{not json")
        checked.add(type_name)
    assert checked == set(BUILTINS)
