"""What ``syncdeck sync`` prints of a run's progress: the connector's hint with the time
left, and a connector that stalls, from the same live fold the UI shows."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from syncdeck.app.live import LiveRuns
from syncdeck.cli.progress import Display, LiveDisplay
from syncdeck.core.counters import RunCounts
from syncdeck.core.documents import Progress
from syncdeck.core.events import RunFinished, RunProgress, RunStarted, RunStatus

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def feed(display: Display, live: LiveRuns, *events: object) -> None:
    for event in events:
        live.apply(event)  # type: ignore[arg-type]
        display.event(event)  # type: ignore[arg-type]


def report(documents: int, elapsed: float, **kw: object) -> RunProgress:
    values: dict[str, object] = {"held": 0, "waiting": 0.0, "in_connector": False}
    values.update(kw)
    return RunProgress(
        "mail",
        7,
        RunCounts(documents=documents),
        values["held"],  # type: ignore[arg-type]
        values["waiting"],  # type: ignore[arg-type]
        values["in_connector"],  # type: ignore[arg-type]
        elapsed,
        Progress(documents * 1000, 100_000, "bytes"),
    )


def test_plain_output_shows_the_hint_and_the_time_left() -> None:
    live, out = LiveRuns(lambda: 0.0), io.StringIO()
    display = Display(["mail"], live, str, out)
    feed(display, live, RunStarted("mail", 7, T0, None, None, 0, number=3), report(10, 1.0))
    display._last_line.clear()  # the next report is due
    feed(display, live, report(30, 3.0))
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("mail: 30 documents, 0 items synced")
    # 20 KB in 2 s: the 70 KB left take 7 s
    assert last.endswith("· 30% · 30.0 KB of 100.0 KB · 7s left")


def test_a_stalled_connector_is_said_once_in_a_while() -> None:
    live, out = LiveRuns(lambda: 0.0), io.StringIO()
    display = Display(["mail"], live, str, out)
    feed(display, live, RunStarted("mail", 7, T0, None, None, 0), report(1, 0.5, held=1))
    before = out.getvalue()
    feed(display, live, report(57, 24.0, held=57, waiting=2.0, in_connector=True))
    assert out.getvalue() == before  # 2 s of silence is not a stall
    feed(display, live, report(57, 45.0, held=57, waiting=23.4, in_connector=True))
    assert out.getvalue().splitlines()[-1] == (
        "mail: waiting on the connector for 23s (57 documents read, not yet stored)"
    )
    feed(display, live, report(57, 46.0, held=57, waiting=24.4, in_connector=True))
    assert out.getvalue().count("waiting on the connector") == 1  # not every second


def test_the_live_line_shows_a_stall_in_place_of_the_hint() -> None:
    live, out = LiveRuns(lambda: 0.0), io.StringIO()
    display = LiveDisplay(["mail"], live, str, out)
    feed(display, live, RunStarted("mail", 7, T0, None, None, 0), report(1, 0.5, held=1))
    assert "1% · 1.0 KB of 100.0 KB" in display._line(live.view("mail"), 200)  # type: ignore[arg-type]
    feed(display, live, report(1, 9.0, held=1, waiting=8.0, in_connector=True))
    line = display._line(live.view("mail"), 200)  # type: ignore[arg-type]
    assert "waiting on the connector for 8s (1 document read, not yet stored)" in line


def test_a_finished_run_shows_no_stale_hint() -> None:
    """The last hint came before the end: a run that succeeded has read everything, so the
    final line must not say 83% of it."""
    live, out = LiveRuns(lambda: 0.0), io.StringIO()
    display = LiveDisplay(["mail"], live, str, out)
    feed(display, live, RunStarted("mail", 7, T0, None, None, 0), report(83, 5.0))
    assert "83%" in display._line(live.view("mail"), 200)  # type: ignore[arg-type]
    done = RunFinished("mail", 7, RunStatus.SUCCEEDED, RunCounts(documents=100), 100, "x", 6.0)
    feed(display, live, done)
    line = display._line(live.view("mail"), 200)  # type: ignore[arg-type]
    assert "succeeded" in line and "%" not in line
