"""One connector's panel: status, counters of the current or last run, throughput, cursor,
the last error, and a bounded log with one line per committed batch.

Every connector has its panel for the life of the app (the app switches between them), so
a log keeps its history while another connector is looked at. Lines for a hidden panel are
kept in a bounded backlog and written when it is shown: a log that is not displayed has no
width to render them at.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, RichLog, Sparkline, Static

from syncdeck.app.live import LiveRun, Phase
from syncdeck.app.wording import (
    ABANDON_AFTER,
    VOLUME,
    outcome_names,
    plural,
    progress_text,
    waiting_text,
)
from syncdeck.tui import formatting as fmt
from syncdeck.tui.clock import Clock
from syncdeck.tui.overview import Overview
from syncdeck.tui.run_log import LogLine
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.throughput import ThroughputMeter
from syncdeck.tui.widgets.palette import LEVEL_ROLES, role_style

MAX_LOG_LINES = 5000
BAR_WIDTH = 20
#: The panel's own links to the screens about its connector: (key, action, label); they
#: answer a click, and the keys do the same from the list.
PANEL_LINKS = (
    ("", "search_connector", "search its documents"),
    ("x", "quarantine", "rejected"),
    ("h", "history", "history"),
    ("i", "inspect", "dry run"),
)


class ConnectorPanel(Vertical):
    def __init__(
        self,
        connector_id: str,
        type_name: str,
        *,
        clock: Clock,
        redact: Callable[[str], str] = str,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="connector-panel")
        self.connector_id = connector_id
        self.type_name = type_name
        self.clock = clock
        self.redact = redact
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
        """Called when the panel is switched in or out of view. The backlog is written
        once the panel is laid out: a log written while it is still hidden would wrap
        its lines at no width at all."""
        self.active = active
        if active:
            self.call_after_refresh(self.flush_log)

    def write_lines(self, lines: Iterable[LogLine], skipped: int = 0) -> None:
        """Queue lines for the log; :meth:`flush_log` shows them."""
        texts: list[Text] = []
        if skipped:
            texts.append(
                Text(
                    f"… {plural(skipped, 'line')} came too fast to show",
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
        asked = run.cancelling_for(now_mono) if run is not None else None
        key = (
            overview,
            fmt.age(overview.last_sync, now),
            fmt.duration(elapsed),
            None if asked is None else int(asked),
        )
        if key != self._summary_key:
            self._summary_key = key
            if self.border_subtitle != overview.status.text:
                self.border_subtitle = overview.status.text
            failed = overview.status.is_failure
            if failed != self.has_class("-failed"):
                self.set_class(failed, "-failed")
            summary = self._summary(overview, elapsed, asked, now)
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
        moving = any(data)  # a line of zeros says nothing: no line at all
        if sparkline.visible != moving:
            sparkline.visible = moving

    def _summary(
        self, o: Overview, elapsed: float | None, asked: float | None, now: datetime
    ) -> Text:
        app = self.app
        muted = role_style(app, "foreground", dim=True)
        warning = role_style(app, "warning")
        error_style = role_style(app, "error")
        run = o.run
        text = Text(no_wrap=False)
        text.append(o.status.text, role_style(app, o.status.role, bold=True))
        if run is not None and (run.number or run.run_id is not None):
            text.append(f"  run {run.number or run.run_id}", muted)
        text.append("  elapsed ", muted)
        text.append(fmt.duration(elapsed))
        if o.holder:
            text.append(f"  {o.holder}", muted)
        if run is not None and run.running:
            waiting = waiting_text(run)
            if waiting is not None:
                text.append("\n")
                text.append(f"{DisplayStatus.WAITING.symbol} {waiting}", warning)
            shown = progress_text(run)
            if shown is not None and run.progress is not None:
                text.append("\n")
                share = run.progress.share
                if share is not None:
                    filled = round(share * BAR_WIDTH)
                    text.append("█" * filled, role_style(app, "accent"))
                    text.append("░" * (BAR_WIDTH - filled), muted)
                    text.append(" ")
                text.append(shown)
            if asked is not None and asked >= ABANDON_AFTER and run.phase is Phase.CANCELLING:
                text.append("\n")
                text.append(
                    f"{DisplayStatus.CANCELLING.symbol} cancel asked {fmt.duration(asked)} ago "
                    "and the connector has not returned: press c again to abandon the run "
                    "(what it read is stored)",
                    warning,
                )
        text.append("\n")
        names = [*VOLUME, *outcome_names(run.totals if run else None)]
        counters = [(name, getattr(run.totals, name) if run else None) for name in names]
        for index, (label, value) in enumerate(counters):
            if index:
                text.append("  ")
            text.append(f"{label} ", muted)
            style = warning if label == "rejected" and value else ""
            text.append(fmt.count(value), style)
        if run is not None and run.held:
            text.append("  held ", muted)
            text.append(fmt.count(run.held))
        text.append("\n")
        text.append("items synced ", muted)
        text.append(fmt.count(o.items_synced))
        text.append("  cursor ", muted)
        cursor = self.redact(o.cursor) if o.cursor is not None else None
        text.append(fmt.cursor(cursor, 40))
        text.append("  since ", muted)
        text.append(fmt.age(o.since, now) if o.since else "never")
        for note, style in self._notes(o):
            text.append("\n")
            text.append(note, style)
        if o.error and not o.problem:
            text.append("\n")
            text.append("error ", role_style(app, "error", bold=True))
            text.append(o.error.strip(), error_style)
        text.append("\n")
        for index, (key, action, label) in enumerate(PANEL_LINKS):
            if index:
                text.append(" · ", muted)
            link = Style.from_meta({"@click": f"screen.{action}"})
            if key:
                text.append(f"{key} ", role_style(app, "accent", bold=True) + link)
            text.append(label, role_style(app, "accent") + link if not key else muted + link)
        return text

    def _notes(self, o: Overview) -> list[tuple[str, Style | str]]:
        """What the operator should know of the connector's state, one line each."""
        app = self.app
        notes: list[tuple[str, Style | str]] = []
        if o.problem:
            notes.append(
                (
                    f"{DisplayStatus.INVALID.symbol} invalid configuration: {o.problem}",
                    role_style(app, "error"),
                )
            )
        if o.status is DisplayStatus.DELETES_HELD:
            notes.append(
                (
                    f"{DisplayStatus.DELETES_HELD.symbol} the deletion guard held back "
                    f"{plural(o.deletes_held, 'deletion')}: press D to apply them",
                    role_style(app, "warning", bold=True),
                )
            )
        if o.change is not None:
            when = self.clock.local(o.change.changed_at).strftime("%H:%M:%S")
            what = (
                f"{DisplayStatus.RESET.symbol} checkpoint reset at {when}: the next sync starts "
                "from the beginning (u undoes it)"
                if o.change.action == "reset"
                else f"{DisplayStatus.CURSOR_SET.symbol} cursor set by hand at {when}: the next "
                "sync resumes from it (u undoes it)"
            )
            notes.append((what, ""))
        run = o.run
        if run is not None and run.notice:
            notes.append((run.notice, role_style(app, "warning")))
        return notes


def _average(run: LiveRun | None, elapsed: float | None) -> float | None:
    if run is None or not elapsed or not run.totals.documents:
        return None
    return run.totals.documents / elapsed
