"""One connector's panel: status, counters of the current or last run, throughput, cursor,
the last error, and a bounded log with one line per committed batch.

Every connector has its panel for the life of the app (the app switches between them), so
a log keeps its history while another connector is looked at. Lines for a hidden panel are
kept in a bounded backlog and written when it is shown: a log that is not displayed has no
width to render them at.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, RichLog, Sparkline, Static

from syncdeck.app.live import LiveRun
from syncdeck.app.wording import VOLUME, outcome_names
from syncdeck.tui import formatting as fmt
from syncdeck.tui.clock import Clock
from syncdeck.tui.overview import Overview
from syncdeck.tui.run_log import LogLine
from syncdeck.tui.throughput import ThroughputMeter
from syncdeck.tui.widgets.palette import LEVEL_ROLES, role_style

MAX_LOG_LINES = 5000


class ConnectorPanel(Vertical):
    def __init__(
        self, connector_id: str, type_name: str, *, clock: Clock, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="connector-panel")
        self.connector_id = connector_id
        self.type_name = type_name
        self.clock = clock
        self.meter = ThroughputMeter()
        self.active = False
        self._backlog: deque[Text] = deque(maxlen=MAX_LOG_LINES)
        self._written: deque[str] = deque(maxlen=MAX_LOG_LINES)  # plain text, as logged
        self._summary_key: object = None
        self._summary_lines = -1
        self._rate_text = ""
        self.border_title = f"{connector_id} · {type_name}"

    def compose(self) -> ComposeResult:
        yield Static(classes="panel-summary")
        with Horizontal(classes="panel-throughput"):
            yield Label("docs/s —", classes="panel-rate")
            yield Sparkline([], classes="panel-sparkline")
        yield RichLog(
            max_lines=MAX_LOG_LINES, wrap=True, markup=False, min_width=20, classes="panel-log"
        )

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self._summary_key = None  # repainted in the new theme's colours at the next tick

    # -- log ---------------------------------------------------------------------------

    @property
    def log_widget(self) -> RichLog:
        return self.query_one(".panel-log", RichLog)

    def activate(self, active: bool) -> None:
        """Called when the panel is switched in or out of view."""
        self.active = active
        self.flush_log()

    def write_lines(self, lines: Iterable[LogLine], skipped: int = 0) -> None:
        """Queue lines for the log; :meth:`flush_log` shows them."""
        texts: list[Text] = []
        if skipped:
            texts.append(
                Text(
                    f"… {skipped:,} lines came too fast to show",
                    style=role_style(self.app, "warning", dim=True),
                )
            )
        for line in lines:
            texts.extend(self._render_line(line))
        self._written.extend(text.plain for text in texts)
        self._backlog.extend(texts)

    def flush_log(self) -> None:
        """Write the queued lines if the panel is shown, in one write: a growing log costs
        a layout pass per write, so the app flushes a few times a second, not per line."""
        if self.active and self._backlog:
            backlog, self._backlog = self._backlog, deque(maxlen=MAX_LOG_LINES)
            self.log_widget.write(Text("\n").join(backlog))

    def _render_line(self, line: LogLine) -> list[Text]:
        stamp = self.clock.local(line.time).strftime("%H:%M:%S")
        style = role_style(self.app, LEVEL_ROLES[line.level], bold=line.level == "error")
        rendered = [Text.assemble((stamp + " ", "dim"), (line.text, style))]
        if line.detail:
            rendered.append(Text(line.detail.rstrip(), style=role_style(self.app, "error")))
        return rendered

    @property
    def log_pending(self) -> int:
        """Lines queued for the log but not written yet."""
        return len(self._backlog)

    @property
    def log_text(self) -> str:
        """The log as plain text, unwrapped (the last MAX_LOG_LINES lines)."""
        return "\n".join(self._written)

    # -- state -------------------------------------------------------------------------

    def sample(self, overview: Overview, now_mono: float) -> None:
        """Feed the throughput meter (every tick while the connector runs, shown or not)."""
        run = overview.run
        if run is not None:
            running = overview.status.is_active
            self.meter.sample(run.run_id, run.totals.documents, now_mono, running=running)

    def show(self, overview: Overview, now: datetime, now_mono: float) -> None:
        """Repaint from the overview; cheap when nothing changed. Only the shown panel is
        repainted: a hidden one has nothing on screen to update."""
        run = overview.run
        running = overview.status.is_active
        elapsed = run.elapsed(now_mono) if run is not None else None
        key = (overview, fmt.age(overview.last_sync, now), fmt.duration(elapsed))
        if key != self._summary_key:
            self._summary_key = key
            if self.border_subtitle != overview.status.text:
                self.border_subtitle = overview.status.text
            failed = overview.status.label == "failed"
            if failed != self.has_class("-failed"):
                self.set_class(failed, "-failed")
            summary = self._summary(overview, elapsed, now)
            static = self.query_one(".panel-summary", Static)
            height = len(summary.wrap(self.app.console, max(static.content_region.width, 1)))
            # a layout pass only when the height changes: repaints stay cheap while running
            static.update(summary, layout=height != self._summary_lines)
            self._summary_lines = height
        rate = self.meter.current if running else _average(run, elapsed)
        rate_text = f"docs/s {fmt.rate(rate)}"
        if rate_text != self._rate_text:
            self._rate_text = rate_text
            self.query_one(".panel-rate", Label).update(rate_text, layout=False)
        sparkline = self.query_one(".panel-sparkline", Sparkline)
        data = list(self.meter.samples)
        if data != (sparkline.data or []):
            sparkline.data = data

    def _summary(self, o: Overview, elapsed: float | None, now: datetime) -> Text:
        app = self.app
        muted = role_style(app, "foreground", dim=True)
        run = o.run
        text = Text(no_wrap=False)
        text.append(o.status.text, role_style(app, o.status.role, bold=True))
        if run is not None and run.run_id is not None:
            text.append(f"  run {run.run_id}", muted)
        text.append("  elapsed ", muted)
        text.append(fmt.duration(elapsed))
        if o.holder:
            text.append(f"  {o.holder}", muted)
        text.append("\n")
        names = [*VOLUME, *outcome_names(run.totals if run else None)]
        counters = [(name, getattr(run.totals, name) if run else None) for name in names]
        for index, (label, value) in enumerate(counters):
            if index:
                text.append("  ")
            text.append(f"{label} ", muted)
            style = role_style(app, "warning") if label == "rejected" and value else ""
            text.append(fmt.count(value), style)
        text.append("\n")
        text.append("items synced ", muted)
        text.append(fmt.count(o.items_synced))
        text.append("  cursor ", muted)
        text.append(fmt.cursor(o.cursor, 40))
        text.append("  since ", muted)
        since = run.since if run is not None else None
        text.append(fmt.age(since, now) if since else "never")
        if o.error:
            text.append("\n")
            text.append("error ", role_style(app, "error", bold=True))
            text.append(fmt.first_line(o.error), role_style(app, "error"))
        return text


def _average(run: LiveRun | None, elapsed: float | None) -> float | None:
    if run is None or not elapsed or not run.totals.documents:
        return None
    return run.totals.documents / elapsed
