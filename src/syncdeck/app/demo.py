"""The configuration used when there is no configuration file: real connectors over sample
data shipped inside the package, plus synthetic sources that show a fast sync, a slow one,
one that fails part-way and resumes, and one whose documents are deleted and renamed
between runs (mirrored) - so a fresh install shows real work at once.

It is built in code rather than read from a TOML file so that its paths point into the
installed package wherever that is, and so that no path ever needs TOML escaping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from syncdeck.app.config import Config, ConnectorSpec, Defaults


def sample_data_dir() -> Path:
    """The ``sample_data`` folder of the installed package (a real folder: the connectors
    read it with ordinary file APIs)."""
    import syncdeck

    return Path(syncdeck.__file__).resolve().parent / "sample_data"


def demo_specs(sample_data: Path | None = None) -> dict[str, ConnectorSpec]:
    data = sample_data or sample_data_dir()
    tables: dict[str, dict[str, Any]] = {
        "notes": {"type": "filesystem", "path": str(data / "notes")},
        "mail": {"type": "mailbox", "path": str(data / "mail.mbox")},
        "chat": {"type": "jsonl", "path": str(data / "chat.jsonl")},
        "blog": {"type": "feed", "urls": [str(data / "engineering-blog.rss")]},
        "calendar": {
            "type": "calendar",
            "urls": [str(data / "team-calendar.ics")],
            "timezone": "Europe/Dublin",
        },
        "firehose": {"type": "demo", "count": 200_000, "delay": 0.0},
        "slow": {"type": "demo", "count": 300, "delay": 0.05},
        "flaky": {"type": "demo", "count": 400, "fail_at": 150, "fail_mode": "once"},
        # a source that changes between runs: every sync after the first mirrors its
        # deletions and renames
        "tickets": {
            "type": "demo",
            "count": 600,
            "delay": 0.002,
            "delete_every": 9,
            "rename_every": 14,
            "seed": 7,
        },
    }
    return {name: ConnectorSpec(name, table.pop("type"), table) for name, table in tables.items()}


def demo_config() -> Config:
    return Config(path=None, defaults=Defaults(), specs=demo_specs())
