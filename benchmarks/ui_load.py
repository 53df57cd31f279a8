"""Target 5: the UI under load. A demo sync inside the app (headless) against the same sync
through `syncdeck sync`; the event loop's lag with four syncs streaming at full speed; the
time until the first screen is painted. Each measurement runs in a fresh process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Row, installed_env, median

HERE = Path(__file__).resolve()


def config(folder: Path, count: int, connectors: int = 1) -> Path:
    path = folder / "syncdeck.toml"
    path.write_text(
        f"[defaults]\nmax_concurrent = {connectors}\n\n"
        + "".join(
            f'[connectors.fire{i}]\ntype = "demo"\ncount = {count}\ncheckpoint_every = 100\n\n'
            for i in range(connectors)
        )
    )
    return path


def run_duration(folder: str) -> float:
    """The sync's own duration, as the state DB recorded it (start-up excluded)."""
    from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine

    with (
        KnowledgeStore(Path(folder) / "knowledge.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=Path(folder) / "sync_state.db") as engine,
    ):
        run = engine.runs("fire0")[0]
        assert run.finished_at is not None and run.error is None
        return run.duration


def cli_seconds(count: int) -> float:
    exe = shutil.which("syncdeck", path=str(Path(sys.executable).parent))
    assert exe is not None
    with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
        folder = Path(tmp)
        cmd = [exe, "--config", str(config(folder, count)), "--data-dir", tmp, "sync", "fire0"]
        subprocess.run(cmd, check=True, capture_output=True)
        return run_duration(tmp)


def child(mode: str, count: int, connectors: int, folder: str) -> None:
    """Runs inside a fresh interpreter: opens the app headless and measures."""
    import asyncio
    import threading

    from syncdeck import RunFinished
    from syncdeck.app.context import open_context
    from syncdeck.tui.app import SyncdeckApp

    context = open_context(config(Path(folder), count, connectors), folder)
    app = SyncdeckApp(context)
    result: dict[str, float] = {}
    finished: list[str] = []
    all_done = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, RunFinished):
            finished.append(event.connector_id)
            if len(finished) == connectors:
                all_done.set()

    context.engine.subscribe(on_event)

    async def drive(pilot) -> None:  # type: ignore[no-untyped-def]
        result["painted"] = time.perf_counter() - float(os.environ["BENCH_T0"])
        if mode == "paint":
            app.exit()
            return
        lags: list[float] = []
        await pilot.press("s" if connectors == 1 else "a")
        while not all_done.is_set():
            planned = time.perf_counter() + 0.01
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - planned)
        result["lag_p99"] = sorted(lags)[int(len(lags) * 0.99)]
        await asyncio.sleep(0.3)  # let the app record the end of the run
        app.exit()

    asyncio.run(app.run_async(headless=True, size=(120, 36), auto_pilot=drive))
    context.close()
    print(json.dumps(result))


def app_run(mode: str, count: int, connectors: int = 1) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
        env = {**installed_env(), "BENCH_T0": ""}
        start = time.perf_counter()
        env["BENCH_T0"] = repr(start)
        out = subprocess.run(
            [sys.executable, str(HERE), mode, str(count), str(connectors), tmp],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["seconds"] = time.perf_counter() - start
        if mode == "sync" and connectors == 1:
            result["seconds"] = run_duration(tmp)
    return result


def run(scale: float, reps: int) -> list[Row]:
    if shutil.which("syncdeck", path=str(Path(sys.executable).parent)) is None:
        return []
    n = max(5_000, int(200_000 * scale))
    reps = max(3, min(reps, 5))
    app_times: list[float] = []
    cli_times: list[float] = []
    for rep in range(reps):
        if rep % 2:
            cli_times.append(cli_seconds(n))
            app_times.append(app_run("sync", n)["seconds"])
        else:
            app_times.append(app_run("sync", n)["seconds"])
            cli_times.append(cli_seconds(n))
    a, c = median(app_times), median(cli_times)
    lag = median([app_run("sync", max(2_000, n // 4), 4)["lag_p99"] for _ in range(3)])
    app_run("paint", 10)  # warm the OS caches and the bytecode, as a second start would
    paint = median([app_run("paint", 10)["painted"] for _ in range(5)])
    return [
        Row(
            f"{n:,}-doc demo sync inside the app (run duration)",
            f"{a:.1f} s",
            f"`syncdeck sync` {c:.1f} s",
            a / c,
            "<= 1.15x the CLI",
            a / c <= 1.15,
        ),
        Row(
            "event-loop lag, 4 syncs at full speed",
            f"p99 {lag * 1000:.0f} ms",
            "",
            None,
            "< 50 ms",
            lag < 0.050,
        ),
        Row(
            "app start to first painted screen",
            f"{paint * 1000:.0f} ms",
            "",
            None,
            "< 1 s",
            paint < 1.0,
        ),
    ]


if __name__ == "__main__":
    child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
