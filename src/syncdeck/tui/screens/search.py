"""Search the knowledge store: BM25 over titles, authors and content, narrowed by source,
document type, author and time range; matches highlighted in each snippet; the highlighted
document previewed beside the list (from 120 columns); Enter opens it whole.

With no query the newest documents within the filters are listed, so the screen is useful
before anything is typed. Every read runs in a daemon thread: a store busy with a sync's
batch never freezes the screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from syncdeck.app.timespec import TimeSpecError, parse_time
from syncdeck.app.wording import plural
from syncdeck.core.errors import SyncdeckError
from syncdeck.core.store import KnowledgeStore, SearchHit
from syncdeck.tui.clock import Clock
from syncdeck.tui.screens.document import DocumentScreen, document_text
from syncdeck.tui.threads import in_daemon_thread
from syncdeck.tui.widgets.palette import role_style

LIMIT = 100
DEBOUNCE = 0.25  # seconds of quiet typing before a search runs
QUERY_HELP = 'words, "a phrase", prefix*, a OR b, NOT c'


class SearchScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Any]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+f", "focus_query", "Query", show=False),
        Binding("down", "to_results", "Results", show=False),
    ]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]

    def __init__(
        self,
        store: KnowledgeStore,
        *,
        sources: dict[str, int],
        doc_types: dict[str, int],
        source: str | None = None,
        clock: Clock,
        limit: int = LIMIT,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.store = store
        self.sources = sources
        self.doc_types = doc_types
        self.initial_source = source if source in sources else None
        self.clock = clock
        self.limit = limit
        self.hits: list[SearchHit] = []
        self.searches = 0  # searches shown so far (tests wait on it)
        self.words: list[str] = []  # the query's words, for highlighting the content
        self._pending: Timer | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        total = sum(self.sources.values())
        with Vertical(classes="dialog dialog-large", id="search-dialog"):
            yield Label(
                f"Search · {plural(total, 'document')} in {plural(len(self.sources), 'source')}",
                classes="dialog-title",
            )
            yield Input(placeholder=f"search: {QUERY_HELP}", id="search-query", compact=True)
            with Horizontal(id="search-filters"):
                yield Select(
                    [(f"{name} ({count:,})", name) for name, count in self.sources.items()],
                    prompt="any source",
                    value=self.initial_source or Select.NULL,
                    id="search-source",
                    compact=True,
                )
                yield Select(
                    [(f"{name} ({count:,})", name) for name, count in self.doc_types.items()],
                    prompt="any type",
                    id="search-type",
                    compact=True,
                )
                yield Input(placeholder="author", id="search-author", compact=True)
                yield Input(placeholder="from: 2024-03-01, 7d", id="search-since", compact=True)
                yield Input(placeholder="until", id="search-until", compact=True)
            yield Static(id="search-status", markup=False)
            with Horizontal(id="search-body"):
                yield OptionList(id="search-results")
                with VerticalScroll(id="search-preview"):
                    yield Static(id="search-preview-text")
            yield Static(
                "Enter opens · Tab next field · ↓ to the results · Escape closes",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#search-query", Input).focus()
        self._search_now()

    # -- searching ---------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    def _filters_changed(self) -> None:
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(DEBOUNCE, self._search_now)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._pending is not None:
            self._pending.stop()
        self._search_now()
        self.action_to_results()

    def _filters(self) -> dict[str, Any] | None:
        """The search's arguments from the fields, or None (and the reason shown) when a
        time cannot be read."""
        source = self.query_one("#search-source", Select).value
        kind = self.query_one("#search-type", Select).value
        author = self.query_one("#search-author", Input).value.strip()
        bounds: dict[str, datetime | None] = {}
        for name in ("since", "until"):
            text = self.query_one(f"#search-{name}", Input).value.strip()
            try:
                bounds[name] = (
                    parse_time(text, now=self.clock.now(), tz=self.clock.tz) if text else None
                )
            except TimeSpecError as exc:
                self._status(f"{name}: {exc}", "error")
                return None
        return {
            "source": source if isinstance(source, str) else None,
            "doc_type": kind if isinstance(kind, str) else None,
            "author": author or None,
            **bounds,
        }

    def _search_now(self) -> None:
        filters = self._filters()
        if filters is None:
            return
        query = self.query_one("#search-query", Input).value
        self._generation += 1
        self.run_worker(
            self._search(self._generation, query, filters), group="search", exclusive=True
        )

    async def _search(self, generation: int, query: str, filters: dict[str, Any]) -> None:
        started = self.clock.monotonic()

        def read() -> list[SearchHit]:
            if query.strip():
                return self.store.search(query, limit=self.limit, **filters)
            return self.store.recent(limit=self.limit, **filters)

        try:
            hits = await in_daemon_thread(read, name="syncdeck-search")
        except SyncdeckError as exc:
            self._status(str(exc), "error")
            return
        if generation != self._generation:
            return  # a newer search is on its way
        took = self.clock.monotonic() - started
        self.words = [w.strip('"*()').lower() for w in query.split() if w.strip('"*()')]
        self._show(hits, query, took)

    def _show(self, hits: list[SearchHit], query: str, took: float) -> None:
        self.hits = hits
        results = self.query_one("#search-results", OptionList)
        results.clear_options()
        options: list[Option | None] = []
        for i, hit in enumerate(hits):
            if i:
                options.append(None)  # a rule between two results
            options.append(Option(self._prompt(hit), id=str(i)))
        results.add_options(options)
        more = " (the first ones)" if len(hits) >= self.limit else ""
        if query.strip():
            what = f"{plural(len(hits), 'match', 'matches')}{more}, best first (BM25)"
        else:
            what = f"the newest {plural(len(hits), 'document')}{more}; type to search"
        self._status(f"{what} · {took * 1000:.0f} ms", "muted")
        self.searches += 1
        if hits:
            results.highlighted = 0
        else:
            self.query_one("#search-preview-text", Static).update("")

    def _status(self, text: str, role: str) -> None:
        style = (
            role_style(self.app, "foreground", dim=True)
            if role == "muted"
            else role_style(self.app, role)
        )
        self.query_one("#search-status", Static).update(Text(text, style=style))

    def _prompt(self, hit: SearchHit) -> Text:
        """Title, where it comes from, and the snippet with the matches marked."""
        app = self.app
        muted = role_style(app, "foreground", dim=True)
        text = Text(no_wrap=False, overflow="fold")
        text.append(hit.title or "(untitled)", Style(bold=True))
        text.append(f"  {hit.source} · {hit.doc_type}", muted)
        text.append("\n")
        byline = [part for part in (hit.author, self._when(hit.timestamp)) if part]
        text.append(" · ".join(byline) or hit.doc_id, muted)
        text.append("\n")
        marked = role_style(app, "accent", bold=True) + Style(underline=True)
        for fragment, hit_here in hit.parts or ((hit.snippet, False),):
            text.append(" ".join(fragment.split("\n")), marked if hit_here else "")
        return text

    def _when(self, stamp: str) -> str:
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            return stamp
        return self.clock.local(moment).strftime("%Y-%m-%d %H:%M")

    # -- the highlighted document ---------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#search-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        hit = self._hit(event.option.id)
        if hit is not None and self.has_class("-wide"):
            self.run_worker(self._preview(hit), group="preview", exclusive=True)

    async def _preview(self, hit: SearchHit) -> None:
        record = await self._get(hit)
        if record is not None:
            shown = document_text(record, self.app, self.clock, words=self.words, limit=4000)
            self.query_one("#search-preview-text", Static).update(shown)

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        hit = self._hit(event.option.id)
        if hit is not None:
            self.run_worker(self._open(hit), group="open", exclusive=True)

    async def _open(self, hit: SearchHit) -> None:
        record = await self._get(hit)
        if record is not None:
            self.app.push_screen(DocumentScreen(record, clock=self.clock, words=self.words))

    async def _get(self, hit: SearchHit) -> dict[str, Any] | None:
        try:
            record = await in_daemon_thread(
                lambda: self.store.get(hit.source, hit.doc_id), name="syncdeck-document"
            )
        except SyncdeckError as exc:
            self._status(str(exc), "error")
            return None
        if record is None:
            self._status(f"{hit.doc_id!r} is no longer in the store", "warning")
        return record

    def _hit(self, option_id: str | None) -> SearchHit | None:
        if option_id is None or not option_id.isdigit() or int(option_id) >= len(self.hits):
            return None
        return self.hits[int(option_id)]

    # -- keys ------------------------------------------------------------------------------

    def action_focus_query(self) -> None:
        self.query_one("#search-query", Input).focus()

    def action_to_results(self) -> None:
        results = self.query_one("#search-results", OptionList)
        if results.option_count and not results.has_focus:
            results.focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "to_results":  # arrows move within the list (and the menus) itself
            focused = self.focused
            return not isinstance(focused, OptionList | Select) and not self._menu_open()
        return True

    def _menu_open(self) -> bool:
        return any(select.expanded for select in self.query(Select))
