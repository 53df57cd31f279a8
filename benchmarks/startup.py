"""Target 6: `syncdeck status` on 50 connectors and 10,000 runs answers quickly, and the
CLI does not import Textual unless it opens the UI."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Row, installed_env, median

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine


def populate(folder: Path, connectors: int = 50, runs: int = 10_000) -> Path:
    data = folder / "data"
    config = folder / "syncdeck.toml"
    config.write_text(
        "".join(f'[connectors.c{i:02d}]\ntype = "demo"\ncount = 10\n\n' for i in range(connectors))
    )
    with (
        KnowledgeStore(data / "knowledge.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=data / "sync_state.db") as engine,
    ):
        state_path = engine.state_path
    conn = sqlite3.connect(state_path)
    stamp = "2026-01-01T00:00:00+00:00"
    conn.executemany(
        "INSERT INTO sync_state (connector_id, items_synced, cursor, last_sync) VALUES (?,?,?,?)",
        [(f"c{i:02d}", 10, "10", stamp) for i in range(connectors)],
    )
    conn.executemany(
        "INSERT INTO sync_runs (connector_id, status, started_at, finished_at, heartbeat, pid, "
        "host, documents, inserted) VALUES (?, 'succeeded', ?, ?, ?, 1, 'bench', 10, 10)",
        [(f"c{r % connectors:02d}", stamp, stamp, stamp) for r in range(runs)],
    )
    conn.commit()
    conn.close()
    return config


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def run(scale: float, reps: int) -> list[Row]:
    exe = shutil.which("syncdeck", path=str(Path(sys.executable).parent))
    if exe is None:
        return []
    with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
        config = populate(Path(tmp))
        env = {**installed_env(), "SYNCDECK_CONFIG": str(config)}
        env["SYNCDECK_DATA_DIR"] = str(Path(tmp) / "data")
        status = [exe, "status"]
        bare = [sys.executable, "-c", "pass"]
        wall(status, env)  # warm the OS caches and the bytecode, as a second invocation would
        times = {"status": [], "python": []}  # type: dict[str, list[float]]
        for _ in range(max(reps, 7)):
            times["status"].append(wall(status, env))
            times["python"].append(wall(bare, env))
        probe = subprocess.run(
            [sys.executable, "-c",
             "import sys, runpy; sys.argv = ['syncdeck', 'status'];\n"
             "try:\n runpy.run_module('syncdeck.cli.main', run_name='__main__')\n"
             "except SystemExit: pass\n"
             "print('TEXTUAL', any(m.startswith('textual') for m in sys.modules))"],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
    status_s, python_s = median(times["status"]), median(times["python"])
    textual = "TEXTUAL True" in probe.stdout
    return [
        Row(
            "`syncdeck status`, 50 connectors, 10,000 runs",
            f"{status_s * 1000:.0f} ms" + (" (imports Textual!)" if textual else ""),
            f"python -c pass {python_s * 1000:.0f} ms",
            status_s / python_s,
            "< 300 ms, no Textual import",
            status_s < 0.300 and not textual,
        )
    ]
