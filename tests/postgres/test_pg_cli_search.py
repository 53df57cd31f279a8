"""``syncdeck export`` and ``syncdeck search`` with its filters, as real processes, on a
``--database-url`` deck: the same output as on the SQLite files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pg_cluster import PASSWORD, Cluster

CONNECTORS = Path(__file__).with_name("pg_cli_connectors.py")


def test_export_and_search_filters_read_the_same_from_postgresql(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    config = tmp_path / "syncdeck.toml"
    config.write_text(f'[connectors.desk]\ntype = "{CONNECTORS}:Desk"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCDECK_")}
    url = pg_cluster.url(pg_cluster.new_database())

    def run(*args: str, database: str | None) -> str:
        where = ["--database-url", database] if database else []
        deck = ["--config", str(config), "--data-dir", str(tmp_path / "data"), *where]
        result = subprocess.run(
            [sys.executable, "-m", "syncdeck.cli.main", *deck, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert PASSWORD not in result.stdout + result.stderr
        return result.stdout

    outputs = {}
    for database in (url, None):
        run("sync", "desk", database=database)
        exported = [
            json.loads(line) for line in run("export", "desk", database=database).splitlines()
        ]

        def ids(*filters: str, database: str | None = database) -> list[str]:
            hits = json.loads(run("search", "budget", "--json", "--limit", "50", *filters,
                                  database=database))  # fmt: skip
            return sorted(hit["doc_id"] for hit in hits)

        outputs[database is not None] = (
            [{k: v for k, v in doc.items() if k != "ingested_at"} for doc in exported],
            {
                "type": ids("--type", "message"),
                "author": ids("--author", "ADA"),
                "window": ids("--since", "2024-03-01T03:00Z", "--until", "2024-03-01T08:00Z"),
                "zoned": ids("--since", "2024-03-01T05:00+02:00", "--type", "note"),
                "all": ids("--type", "note", "--author", "bilal", "--since", "2024-03-01T02:00Z"),
            },
            json.loads(run("search", "draft", "--json", "--limit", "1", database=database)),
        )
    assert outputs[True][0] == outputs[False][0]
    assert [doc["doc_id"] for doc in outputs[True][0]] == [f"d{i:02d}" for i in range(12)]
    assert (
        outputs[True][1]
        == outputs[False][1]
        == {
            "type": [f"d{i:02d}" for i in range(1, 12, 2)],
            "author": [f"d{i:02d}" for i in range(12) if i % 3 != 1],
            "window": ["d03", "d04", "d05", "d06", "d07"],
            "zoned": ["d04", "d06", "d08", "d10"],
            "all": ["d04", "d10"],
        }
    )
    (pg_hit,), (sqlite_hit,) = outputs[True][2], outputs[False][2]
    assert pg_hit["snippet"] == sqlite_hit["snippet"]
    assert "[draft]" in pg_hit["snippet"]
