"""The PostgreSQL backend against its limits, on a throwaway local cluster (the tests'
``pg_cluster``; a database per arm):

- ingest: the pipeline against raw ``COPY`` of the same rows into the same schema;
- engine overhead: ``SyncEngine`` (batch and checkpoint in one transaction) against a bare
  loop feeding the same pipeline;
- scaling: 1, 2 and 4 processes syncing one connector each into one server;
- ``syncdeck status`` with 50 connectors and 10,000 runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ListConnector, Row, corpus, installed_env, median, rate, timed
from engine_overhead import batches
from ingest import raw_rows

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.core.postgres.state import PostgresStateStore

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from pg_cluster import Cluster, find_bindir

WORKER = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from common import GeneratedConnector
from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
url, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = KnowledgeStore(url)
engine = SyncEngine(IngestionPipeline(store), state_db=url)
connector = GeneratedConnector(n, name)
Path(sys.argv[5] + "." + name).touch()
while not Path(sys.argv[5]).exists():
    time.sleep(0.001)
start = time.time()
engine.sync(connector)
print(start, time.time())
"""


def _fresh(cluster: Cluster) -> str:
    url = cluster.url(cluster.new_database())
    KnowledgeStore(url).close()  # the schema, outside the timer
    PostgresStateStore(url).close()
    return url


def _raw_copy(cluster: Cluster, docs: list, batch: int | None) -> float:  # type: ignore[type-arg]
    import psycopg

    from syncdeck.core.postgres.store import _COPY

    url = _fresh(cluster)
    size = batch or len(docs)
    with psycopg.connect(url, autocommit=True) as conn:

        def load() -> None:
            for start in range(0, len(docs), size):
                with conn.transaction(), conn.cursor().copy(_COPY) as copy:
                    for row in raw_rows(docs[start : start + size]):
                        copy.write_row(row)

        return timed(load)


def _pipeline(cluster: Cluster, docs: list, batch: int) -> float:  # type: ignore[type-arg]
    with KnowledgeStore(_fresh(cluster)) as store:
        pipeline = IngestionPipeline(store)
        return timed(
            lambda: [pipeline.ingest_batch(docs[s : s + batch]) for s in range(0, len(docs), batch)]
        )


def _engine(cluster: Cluster, docs: list) -> float:  # type: ignore[type-arg]
    url = _fresh(cluster)
    with (
        KnowledgeStore(url) as store,
        SyncEngine(IngestionPipeline(store), state_db=url, batch_size=100) as engine,
    ):
        return timed(lambda: engine.sync(ListConnector(docs)))


def _bare(cluster: Cluster, docs: list) -> float:  # type: ignore[type-arg]
    with KnowledgeStore(_fresh(cluster)) as store:
        pipeline = IngestionPipeline(store)
        return timed(lambda: [pipeline.ingest_batch(batch) for batch in batches(docs)])


def _processes(cluster: Cluster, count: int, n: int) -> float:
    """Aggregate documents per second of ``count`` processes, one connector each."""
    url = _fresh(cluster)
    with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
        go = Path(tmp) / "go"
        here = str(Path(__file__).parent)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, url, f"p{i}", str(n), here, str(go)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(count)
        ]
        while not all(Path(f"{go}.p{i}").exists() for i in range(count)):
            time.sleep(0.005)
        go.touch()
        spans = [tuple(map(float, p.communicate(timeout=600)[0].split())) for p in procs]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return count * n / (end - start)


def _status(cluster: Cluster, reps: int) -> tuple[float, float]:
    import psycopg

    url = _fresh(cluster)
    stamp = "2026-01-01T00:00:00+00:00"
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy(
            "COPY sync_state (connector_id, items_synced, cursor, last_sync) FROM STDIN"
        ) as copy:
            for i in range(50):
                copy.write_row((f"c{i:02d}", 10, "10", stamp))
        with conn.cursor().copy(
            "COPY sync_runs (connector_id, status, started_at, finished_at, heartbeat, pid, "
            "host, documents, inserted) FROM STDIN"
        ) as copy:
            for r in range(10_000):
                copy.write_row((f"c{r % 50:02d}", "succeeded", stamp, stamp, stamp, 1, "b", 10, 10))
        conn.execute("ANALYZE")
    exe = shutil.which("syncdeck", path=str(Path(sys.executable).parent)) or "syncdeck"
    with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
        config = Path(tmp) / "syncdeck.toml"
        config.write_text(
            "".join(f'[connectors.c{i:02d}]\ntype = "demo"\ncount = 10\n\n' for i in range(50))
        )
        env = {**installed_env(), "SYNCDECK_CONFIG": str(config), "SYNCDECK_DATABASE_URL": url}
        env["SYNCDECK_DATA_DIR"] = str(Path(tmp) / "data")

        def wall(cmd: list[str]) -> float:
            start = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            return time.perf_counter() - start

        wall([exe, "status"])  # warm the OS caches and the bytecode, as a second call would
        status = [wall([exe, "status"]) for _ in range(max(reps, 7))]
        driver = [wall([sys.executable, "-c", "import psycopg"]) for _ in range(max(reps, 7))]
    return median(status), median(driver)


def run(scale: float, reps: int) -> list[Row]:
    bindir = find_bindir()
    if bindir is None:
        print("  postgres: no PostgreSQL binaries, skipped", file=sys.stderr)
        return []
    cluster = Cluster(bindir)
    cluster.start()
    try:
        return _run(cluster, scale, reps)
    finally:
        cluster.stop()


def _run(cluster: Cluster, scale: float, reps: int) -> list[Row]:
    n = max(2_000, int(20_000 * scale))
    docs = corpus(n)
    times: dict[str, list[float]] = {
        k: [] for k in ("copy", "copy-100", "copy-1000", "p100", "p1000", "engine", "bare")
    }
    for rep in range(reps):
        arms = [
            ("copy", lambda: _raw_copy(cluster, docs, None)),
            ("copy-100", lambda: _raw_copy(cluster, docs, 100)),
            ("copy-1000", lambda: _raw_copy(cluster, docs, 1000)),
            ("p100", lambda: _pipeline(cluster, docs, 100)),
            ("p1000", lambda: _pipeline(cluster, docs, 1000)),
            ("engine", lambda: _engine(cluster, docs)),
            ("bare", lambda: _bare(cluster, docs)),
        ]
        for name, arm in arms if rep % 2 == 0 else arms[::-1]:
            times[name].append(arm())
    copy = median(times["copy"])
    rows = []
    for key, batch, target in (("p100", 100, 0.7), ("p1000", 1000, 0.85)):
        seconds = median(times[key])
        rows.append(
            Row(
                f"PG ingest {n:,} x 1 KB, batch {batch}",
                rate(n, seconds),
                f"raw COPY {rate(n, copy)}",
                copy / seconds,
                f">= {target:.2f} of raw COPY",
                copy / seconds >= target,
            )
        )
    for batch in (100, 1000):
        raw, ours = median(times[f"copy-{batch}"]), median(times[f"p{batch}"])
        rows.append(
            Row(
                f"PG ingest {n:,} x 1 KB, batch {batch}, vs raw COPY at the same batch size",
                rate(n, ours),
                f"raw COPY, a commit per {batch}: {rate(n, raw)}",
                raw / ours,
                "(explains the gap: no target)",
                None,
            )
        )
    engine, bare = median(times["engine"]), median(times["bare"])
    rows.append(
        Row(
            f"PG engine overhead, {n:,} docs, batch 100",
            rate(n, engine),
            f"bare loop {rate(n, bare)}",
            bare / engine,
            ">= 0.95 of bare (<= 5% slower)",
            bare / engine >= 0.95,
        )
    )
    per = max(2_000, int(20_000 * scale))
    rates = {k: median([_processes(cluster, k, per) for _ in range(max(1, reps // 2))])
             for k in (1, 2, 4)}  # fmt: skip
    rows.append(
        Row(
            "PG processes syncing one connector each: 1 / 2 / 4",
            " / ".join(f"{rates[k]:,.0f}" for k in (1, 2, 4)) + " docs/s",
            f"one process {rates[1]:,.0f} docs/s",
            rates[4] / rates[1],
            ">= 1.30x one process at 4",
            rates[4] / rates[1] >= 1.3,
        )
    )
    status, driver = _status(cluster, reps)
    rows.append(
        Row(
            "`syncdeck status` over PG, 50 connectors, 10,000 runs",
            f"{status * 1000:.0f} ms",
            f"python -c 'import psycopg' {driver * 1000:.0f} ms",
            status / driver,
            "< 300 ms",
            status < 0.300,
        )
    )
    return rows
