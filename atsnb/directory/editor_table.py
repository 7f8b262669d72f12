"""One directory as an editable table: typed cells, a message beside each bad row, add and delete
rows, Save and Undo, long directories a page at a time.

The table edits a :class:`~atsnb.directory.editor_draft.Draft`; a cell is checked as it is typed
(the import's message on its row, a red border on the cell), the whole directory (duplicate keys,
references, cycles) when Save is pressed.  Only the rows of the page shown have widgets, so a
directory of thousands of partners opens as fast as one of ten departments.
"""

from __future__ import annotations

import html
import math

import ipywidgets as widgets

from atsnb.directory.editor_cells import Cell, Options, width
from atsnb.directory.editor_draft import Draft, editable, shown_columns
from atsnb.directory.rules import title
from atsnb.i18n import language, t
from atsnb.store.directories import Catalog, DirectoryColumn

PAGE_SIZE = 50
DELETE_WIDTH = "2.6em"


def column_label(column: DirectoryColumn) -> str:
    """A column's header: its Russian name (the first alias) in Russian, its own name in English."""
    if language() == "ru" and column.aliases:
        return column.aliases[0]
    return column.name.replace("_", " ")


class DirectoryTable:
    """The editor of one directory (built when the page first shows it)."""

    def __init__(self, catalog: Catalog, name: str, *, tz=None, page_size: int = PAGE_SIZE):
        self.catalog = catalog
        self.name = name
        self.tz = tz
        self.page_size = page_size
        self.draft = Draft(catalog, name)
        self.columns = shown_columns(self.draft.directory)
        self.options = Options.read(catalog)
        self.page = 0
        self.cells: dict[tuple[int, str], Cell] = {}
        self.live: dict[int, dict[str, str]] = {}  # row → column → its own problem, as typed
        self.row_notes: dict[int, widgets.HTML] = {}
        self.template = " ".join([*(width(c) for c in self.columns), DELETE_WIDTH])
        self.grid = widgets.VBox(layout=widgets.Layout(width="max-content"))
        self.grid.add_class("atsnb-dir-grid")
        scroller = widgets.Box([self.grid], layout=widgets.Layout(overflow="auto hidden", width="100%"))
        self.add_button = widgets.Button(description=t("dir_ed_add"), icon="plus", layout=widgets.Layout(width="auto"))
        self.save_button = widgets.Button(description=t("dir_ui_save"), button_style="primary", icon="check",
                                          layout=widgets.Layout(width="auto"))
        self.undo_button = widgets.Button(description=t("dir_ui_reload"), icon="undo", layout=widgets.Layout(width="auto"))
        self.prev_button = widgets.Button(icon="chevron-left", tooltip=t("dir_ed_prev"), layout=widgets.Layout(width="3em"))
        self.next_button = widgets.Button(icon="chevron-right", tooltip=t("dir_ed_next"), layout=widgets.Layout(width="3em"))
        self.page_label = widgets.HTML()
        self.message = widgets.HTML()
        self.message.add_class("atsnb-dir-message")
        for button, action in ((self.add_button, self.add_row), (self.save_button, self.save),
                               (self.undo_button, self.undo), (self.prev_button, lambda: self.go(self.page - 1)),
                               (self.next_button, lambda: self.go(self.page + 1))):
            button.on_click(lambda _b, action=action: action())
        self.save_button.add_class("atsnb-dir-save")
        self.add_button.add_class("atsnb-dir-add")
        self.undo_button.add_class("atsnb-dir-undo")
        def wrap() -> widgets.Layout:  # a Layout per box: hiding the pager must not hide the buttons
            return widgets.Layout(flex_flow="row wrap", align_items="center", width="100%")

        self.pager = widgets.HBox([self.prev_button, self.page_label, self.next_button], layout=wrap())
        self.widget = widgets.VBox([
            scroller,
            self.pager,
            widgets.HBox([self.add_button, self.save_button, self.undo_button], layout=wrap()),
            self.message,
        ], layout=widgets.Layout(width="100%"))
        self.widget.add_class("atsnb-dir-table")
        self.render()
        self.say(t("dir_ui_rows", count=len(self.draft.rows)))

    # -- what the buttons do --------------------------------------------------------------------
    def add_row(self) -> None:
        """An empty row at the end, shown on the last page."""
        self.draft.add()
        self.page = self.pages - 1
        self.render()
        self.say(t("dir_ed_unsaved"))

    def delete_row(self, row: int) -> None:
        self.draft.delete(row)
        self.live = {(i if i < row else i - 1): p for i, p in self.live.items() if i != row}
        self.page = min(self.page, self.pages - 1)
        self.render()
        self.say(t("dir_ed_unsaved"))

    def save(self) -> bool:
        """Write the directory as the table has it; on a problem nothing is written and each bad
        row shows its message (the page jumps to the first)."""
        result = self.draft.save()
        if result is None:
            self.live = {}
            first = min(self.draft.problems)
            self.page = first // self.page_size
            self.render()
            count = sum(len(p) for p in self.draft.problems.values())
            self.say(t("dir_ed_not_saved", count=count), error=True)
            return False
        self.live = {}
        self.options = Options.read(self.catalog)  # a new department is a choice at once
        self.render()
        self.say(t("dir_cli_imported", title=title(self.name), added=result.added, updated=result.updated,
                   removed=result.removed))
        return True

    def undo(self) -> None:
        """Drop every edit since the last save."""
        self.draft.discard()
        self.live = {}
        self.page = min(self.page, self.pages - 1)
        self.render()
        self.say(t("dir_ed_undone", count=len(self.draft.rows)))

    def reload(self, note: str = "") -> None:
        """The stored directory again (after an upload or a fill), with ``note`` as the message."""
        self.draft.discard()
        self.live = {}
        self.options = Options.read(self.catalog)
        self.page = min(self.page, self.pages - 1)
        self.render()
        self.say(note or t("dir_ui_rows", count=len(self.draft.rows)))

    def go(self, page: int) -> None:
        self.page = max(0, min(page, self.pages - 1))
        self.render()

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.draft.rows) / self.page_size))

    # -- drawing --------------------------------------------------------------------------------
    def render(self) -> None:
        """The widgets of the page shown (only those rows get any)."""
        self.cells = {}
        self.row_notes = {}
        heads: list[widgets.Widget] = []
        for c in self.columns:
            head = widgets.HTML(f"<b>{html.escape(column_label(c))}</b>" + (" *" if c.required else ""))
            head.add_class("atsnb-dir-head")
            heads.append(head)
        children = [self._line([*heads, widgets.HTML("")])]
        start = self.page * self.page_size
        for row in range(start, min(start + self.page_size, len(self.draft.rows))):
            cells, note = self._row(row)
            children += [self._line(cells), note]
        self.grid.children = children
        self.page_label.value = html.escape(t("dir_ed_page", page=self.page + 1, pages=self.pages,
                                              count=len(self.draft.rows)))
        self.pager.layout.display = "" if self.pages > 1 else "none"

    def _line(self, cells: list[widgets.Widget]) -> widgets.GridBox:
        """One line of the table: the header or a row, every line on the same column grid."""
        line = widgets.GridBox(cells, layout=widgets.Layout(grid_template_columns=self.template, grid_gap="0 6px",
                                                            align_items="flex-start"))
        line.add_class("atsnb-dir-row")
        return line

    def _row(self, row: int) -> tuple[list[widgets.Widget], widgets.HTML]:
        values = self.draft.rows[row]
        out: list[widgets.Widget] = []
        for c in self.columns:
            if not editable(c):
                cell = widgets.HTML(html.escape(values.get(c.name) or ""))
                cell.add_class("atsnb-dir-filled")
                out.append(cell)
                continue
            self.cells[(row, c.name)] = cell_ = Cell(c, values.get(c.name), self.options, self.tz,
                                                     lambda text, row=row, name=c.name: self.typed(row, name, text))
            cell_.widget.add_class(f"atsnb-dir-cell-{c.name}")
            out.append(cell_.widget)
        delete = widgets.Button(icon="trash", tooltip=t("dir_ed_delete"), layout=widgets.Layout(width=DELETE_WIDTH))
        delete.add_class("atsnb-dir-delete")
        delete.on_click(lambda _b, row=row: self.delete_row(row))
        out.append(delete)
        note = widgets.HTML(layout=widgets.Layout(width="100%"))
        note.add_class("atsnb-dir-row-problem")
        self.row_notes[row] = note
        for (r, name), cell_ in self.cells.items():
            if r == row:
                cell_.mark(self.live.get(row, {}).get(name) or self._checked(row, name))
        self._show_row_problems(row)
        return out, note

    def _checked(self, row: int, column: str) -> str | None:
        found = [p.message for p in self.draft.problems.get(row, []) if p.field == column]
        return "; ".join(found) or None

    def typed(self, row: int, column: str, text: str | None) -> None:
        """A cell changed: into the draft, checked on its own, its row's message updated."""
        problem = self.draft.set(row, column, text)
        found = self.live.setdefault(row, {})
        if problem:
            found[column] = problem
        else:
            found.pop(column, None)
        self.draft.problems[row] = [p for p in self.draft.problems.get(row, []) if p.field != column]
        cell = self.cells.get((row, column))
        if cell is not None:
            cell.mark(problem)
            cell.refresh_note()
        self._show_row_problems(row)
        self.say(t("dir_ed_unsaved"))

    def _show_row_problems(self, row: int) -> None:
        note = self.row_notes.get(row)
        if note is None:
            return
        by_column = {c.name: column_label(c) for c in self.columns}
        lines = [f"{by_column.get(col, col)}: {message}" for col, message in self.live.get(row, {}).items()]
        lines += [f"{by_column.get(p.field, p.field)}: {p.message}" if p.field else p.message
                  for p in self.draft.problems.get(row, [])]
        note.value = (f'<div class="atsnb-dir-problem">{"<br>".join(html.escape(x) for x in lines)}</div>'
                      if lines else "")
        note.layout.display = "" if lines else "none"

    def say(self, text: str, *, error: bool = False) -> None:
        colour = "#b00020" if error else "#1b5e20"
        self.message.value = f'<div style="white-space: pre-wrap; color: {colour}">{html.escape(text)}</div>'
