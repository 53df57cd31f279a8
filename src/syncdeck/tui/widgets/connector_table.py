"""The connector list: one row per configured connector, updated in place.

Rows are diffed against what is on screen: a changed cell is replaced with ``update_cell``
and rows are only added or removed when the filter changes, inside one ``batch_update`` -
so a repaint ten times a second costs only what changed and the cursor never jumps.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from syncdeck.tui import formatting as fmt
from syncdeck.tui.overview import Overview
from syncdeck.tui.status import DisplayStatus
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
ERROR_WIDTH = 48

# A cell as compared between repaints: text, theme role, bold, right-aligned.
Cell = tuple[str, str, bool, bool]


class ConnectorTable(DataTable[Text]):
    """Keyed by connector id; the order is the configuration's."""

    def __init__(self, order: Iterable[str], *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._order = {cid: index for index, cid in enumerate(order)}
        self._cells: dict[str, tuple[Cell, ...]] = {}

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)
        self.app.theme_changed_signal.subscribe(self, self._repaint_all)

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
        for (key, _), new, old in zip(COLUMNS, cells, previous, strict=True):
            if new != old:
                # Re-measuring columns re-lays out the screen: only when the text grew (a
                # count gaining a digit), not on every new value.
                grew = len(new[0]) > len(old[0])
                self.update_cell(cid, key, self._render(new), update_width=grew)
        self._cells[cid] = cells

    def _cells_for(self, o: Overview, now: datetime) -> tuple[Cell, ...]:
        failed = o.status is DisplayStatus.FAILED
        role = "error" if failed else "foreground"
        error = fmt.truncate(fmt.first_line(o.error), ERROR_WIDTH)
        return (
            (o.status.text, o.status.role, True, False),
            (o.connector_id, role, failed, False),
            (fmt.count(o.items_synced), role, False, True),
            (fmt.age(o.last_sync, now) if o.last_sync else "never", role, False, False),
            (fmt.cursor(o.cursor, CURSOR_WIDTH), role, False, False),
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
