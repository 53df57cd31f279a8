"""Target 4: peak RSS of a large sync, bounded and flat (measured in child processes)."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from common import GeneratedConnector, Row


def child(n: int, folder: str) -> None:
    from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine

    store = KnowledgeStore(Path(folder) / "k.db")
    engine = SyncEngine(IngestionPipeline(store), state_db=Path(folder) / "s.db")
    engine.sync(GeneratedConnector(n))
    assert engine.get_checkpoint("bench")["items_synced"] == n
    print(peak_rss_kib())


def peak_rss_kib() -> int:
    """This process's own high-water RSS. ``ru_maxrss`` is not used: Linux carries it over
    from the parent through fork and exec, so a child of a large parent reads the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_mib(n: int) -> float:
    with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
        out = subprocess.run(
            [sys.executable, __file__, str(n), tmp], capture_output=True, text=True, check=True
        )
    return int(out.stdout.strip()) / 1024


def run(scale: float, reps: int) -> list[Row]:
    small, large = max(10_000, int(100_000 * scale)), max(100_000, int(1_000_000 * scale))
    a, b = peak_mib(small), peak_mib(large)
    return [
        Row(
            f"peak RSS, {large:,}-doc sync",
            f"{b:.0f} MiB",
            f"{small:,} docs: {a:.0f} MiB",
            b / a,
            "< 150 MiB, and within 10% of the small sync",
            b < 150 and b / a <= 1.10,
        )
    ]


if __name__ == "__main__":
    child(int(sys.argv[1]), sys.argv[2])
