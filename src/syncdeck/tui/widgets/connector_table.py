"""The connector list: one row per configured connector, updated in place.

Rows are diffed against what is on screen: a changed cell is replaced with ``update_cell``
and rows are only added or removed when the filter changes, inside one ``batch_update`` -
so a repaint ten times a second costs only what changed and the cursor never jumps.

Column widths are fixed by what the column can hold, not by the values seen so far: the
status words, the configured names and types, the ages "Last sync" can say. Only Items
widens, when a count gains a digit, and Error takes whatever width is left (its text cut
with an ellipsis; the panel shows it whole). So the columns never jump.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from datetime import datetime

from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from syncdeck.tui import formatting as fmt
from syncdeck.tui.overview import Overview
from syncdeck.tui.status import STATUS_WIDTH
from syncdeck.tui.widgets.palette import role_style

# Most telling first: a narrow list cuts the columns on the right.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", "Status"),
    ("id", "Connector"),
    ("items", "Items"),
    ("last", "Last sync"),
    ("cursor", "Cursor"),
    ("type", "Type"),
    ("error", "Error"),
)
CURSOR_WIDTH = 16
NAME_WIDTH = 24  # at most: longer names are cut
TYPE_WIDTH = 12
LAST_WIDTH = len("59 min ago")  # the widest fmt.age() says (or a date, as wide)
ITEMS_WIDTH = len("999,999")  # at least; widens by the digits a count needs
ERROR_MIN = 8
ERROR_WIDTH = 200  # the most of an error kept in a cell

# A cell as compared between repaints: text, theme role, bold, right-aligned.
Cell = tuple[str, str, bool, bool]


class ConnectorTable(DataTable[Text]):
    """Keyed by connector id; the order is the configuration's."""

    def __init__(
        self,
        order: Iterable[str],
        *,
        types: Mapping[str, str] | None = None,
        redact: Callable[[str], str] = str,
        id: str | None = None,
    ) -> None:
        super().__init__(cursor_type="row", id=id)
        self._order = {cid: index for index, cid in enumerate(order)}
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self.redact = redact
        names = [*self._order, "Connector"]
        kinds = [*(types or {}).values(), "Type"]
        self.widths: dict[str, int] = {
            "status": max(STATUS_WIDTH, len("Status")),
            "id": min(NAME_WIDTH, max(len(name) for name in names)),
            "items": ITEMS_WIDTH,
            "last": LAST_WIDTH,
            "cursor": CURSOR_WIDTH,
            "type": min(TYPE_WIDTH, max(len(kind) for kind in kinds)),
            "error": ERROR_MIN,
        }

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key, width=self.widths[key])
        self.app.theme_changed_signal.subscribe(self, self._repaint_all)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_error_column()

    def _fit_error_column(self) -> None:
        """Error takes the width the other columns leave (at least ERROR_MIN)."""
        fixed = sum(width for key, width in self.widths.items() if key != "error")
        padding = 2 * self.cell_padding * len(COLUMNS)
        room = self.scrollable_content_region.width - fixed - padding
        self._set_width("error", max(ERROR_MIN, room))

    def _set_width(self, key: str, width: int) -> None:
        self.widths[key] = width
        column = self.columns.get(ColumnKey(key))
        if column is None or column.width == width:
            return
        column.width = width
        # A column's width is part of every cached line: drop them and re-measure.
        self._clear_caches()
        self._require_update_dimensions = True
        self.refresh()

    def _repaint_all(self, _theme: object) -> None:
        for cid, cells in self._cells.items():
            for (key, _), cell in zip(COLUMNS, cells, strict=True):
                self.update_cell(cid, key, self._render(cell))

    @property
    def shown_ids(self) -> list[str]:
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def highlighted_id(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    def select(self, connector_id: str) -> bool:
        """Move the cursor to a connector's row; False if it is not shown."""
        if connector_id not in self._cells:
            return False
        index = self.get_row_index(connector_id)
        if index != self.cursor_row:
            self.move_cursor(row=index)
        return True

    def update_rows(
        self,
        overviews: Iterable[Overview],
        now: datetime,
        *,
        only: Container[str] | None = None,
    ) -> None:
        """Show exactly ``overviews`` (already filtered), changing only what differs; with
        ``only``, the cells of the other rows shown are taken as they are."""
        wanted = {o.connector_id: o for o in overviews}
        keep = self.highlighted_id
        with self.app.batch_update():
            for cid in [cid for cid in self._cells if cid not in wanted]:
                self.remove_row(cid)
                del self._cells[cid]
            added = False
            for cid, overview in wanted.items():
                previous = self._cells.get(cid)
                if previous is not None and only is not None and cid not in only:
                    continue
                if previous is None:
                    cells = self._cells_for(overview, now)
                    self._fit_items(cells)
                    self.add_row(*(self._render(cell) for cell in cells), key=cid)
                    self._cells[cid] = cells
                    added = True
                else:
                    self.update_row(overview, now)
            if added:
                order = self._order
                self.sort("id", key=lambda cell: order.get(cell.plain, len(order)))
            if keep is not None and keep in self._cells:
                self.select(keep)  # rows came or went: the cursor stays on its connector

    def update_row(self, overview: Overview, now: datetime) -> None:
        """Change the cells of a row that is shown (a row not shown stays hidden)."""
        cid = overview.connector_id
        previous = self._cells.get(cid)
        if previous is None:
            return
        cells = self._cells_for(overview, now)
        self._fit_items(cells)
        for (key, _), new, old in zip(COLUMNS, cells, previous, strict=True):
            if new != old:
                self.update_cell(cid, key, self._render(new))
        self._cells[cid] = cells

    def _fit_items(self, cells: tuple[Cell, ...]) -> None:
        """A count that needs more digits than the column has widens it, for good (the
        count only grows with the source)."""
        needed = len(cells[2][0])
        if needed > self.widths["items"]:
            self._set_width("items", needed)
            self._fit_error_column()

    def _cells_for(self, o: Overview, now: datetime) -> tuple[Cell, ...]:
        failed = o.status.is_failure
        role = "error" if failed else "foreground"
        error = fmt.truncate(fmt.first_line(o.shown_error), ERROR_WIDTH)
        cursor = self.redact(o.cursor) if o.cursor is not None else None
        return (
            (o.status.text, o.status.role, True, False),
            (o.connector_id, role, failed, False),
            (fmt.count(o.items_synced), role, False, True),
            (fmt.age(o.last_sync, now) if o.last_sync else "never", role, False, False),
            (fmt.cursor(cursor, CURSOR_WIDTH), role, False, False),
            (o.type, role, False, False),
            (error, "error" if error else role, False, False),
        )

    def _render(self, cell: Cell) -> Text:
        text, role, bold, right = cell
        return Text(
            text,
            style=role_style(self.app, role, bold=bold),
            justify="right" if right else "left",
            no_wrap=True,
            overflow="ellipsis",
        )
