"""The directories editor for the browser (Voila page ``dashboards/directories.ipynb``).

One table per directory (:class:`~atsnb.directory.editor_table.DirectoryTable`): typed cells
(departments, employees, lines, bots and reports picked from lists, flags as switches, a cron
schedule with its next runs), the import's message beside a bad row as it is typed, rows added
and deleted, Save (the whole directory through the CSV import's checks, nothing written while a
row is bad) and Undo (back to what is stored).  A directory's table is built the first time it is
picked, so the page opens with one table.  Beside it: "Fill from the PBX" for lines and employees,
uploading a CSV file and downloading the directory as a CSV file for Excel (bot tokens never leave
the store), and what other parts of the product add under a directory (the mailings' next runs
and test send).

    DirectoryEditor(store).widget        # display it in a notebook or a Voila page
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping

import ipywidgets as widgets

from atsnb.directory.csv_io import decode, export_text, import_text
from atsnb.directory.editor_table import DirectoryTable
from atsnb.directory.fill import fill_employees, fill_lines
from atsnb.directory.rules import title
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.store import DIRECTORIES, Store

FILLS = {"lines": fill_lines, "employees": fill_employees}

# the table's look: headers that wrap instead of being cut, a bad cell's red border, row messages
EDITOR_CSS = """<style>
.atsnb-dir-head { white-space: normal; line-height: 1.2; }
.atsnb-dir-head .widget-html-content, .atsnb-dir-row-problem .widget-html-content,
.atsnb-dir-message .widget-html-content { white-space: normal; line-height: 1.3; }
.atsnb-dir-bad input, .atsnb-dir-bad select, input.atsnb-dir-bad, .atsnb-dir-bad { outline: 2px solid #b00020; }
.atsnb-dir-problem { color: #b00020; font-size: 90%; margin: -2px 0 6px 0; }
.atsnb-dir-filled { color: #555; }
.atsnb-dir-grid .widget-select-multiple select { min-height: 5em; }
</style>"""


class DirectoryEditor:
    """The page: a directory picker, that directory's table, and the CSV and fill tools."""

    def __init__(self, store: Store, name: str = "employees",
                 panels: Mapping[str, Callable[[], widgets.Widget]] | None = None, *, tz=None):
        """``panels``: what to show under a directory besides its table (the mailings' next run
        times and test send), built by the composition root from the layers that know them;
        ``tz``: the PBX's zone, for a schedule's next runs."""
        self.store = store
        self.tz = tz
        self.panels = dict(panels or {})
        self.tables: dict[str, DirectoryTable] = {}
        label = {"description_width": "initial"}
        self.choice = widgets.Dropdown(options=[(title(n), n) for n in DIRECTORIES], value=name,
                                       description=t("dir_ui_directory"), style=label,
                                       layout=widgets.Layout(width="auto", max_width="100%"))
        self.body = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.panel = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.fill_button = widgets.Button(description=t("dir_ui_fill"), icon="search", layout=widgets.Layout(width="auto"))
        self.upload = widgets.FileUpload(accept=".csv,.txt,text/csv", multiple=False,
                                         description=t("dir_ui_upload"), layout=widgets.Layout(width="auto"))
        self.replace = widgets.Checkbox(value=False, description=t("dir_ui_replace"), indent=False,
                                        layout=widgets.Layout(width="auto"))
        self.download = widgets.HTML()
        wrap = widgets.Layout(flex_flow="row wrap", align_items="center", width="100%")
        self.widget = widgets.VBox([
            widgets.HTML(EDITOR_CSS),
            self.choice,
            self.body,
            widgets.HBox([self.fill_button, self.upload, self.replace, self.download], layout=wrap),
            self.panel,
        ], layout=widgets.Layout(width="100%"))
        self.widget.add_class("atsnb-directories")
        self.choice.observe(lambda _: self.show(), names="value")
        self.fill_button.on_click(lambda _: self.fill())
        self.upload.observe(self._uploaded, names="value")
        self.show()

    @property
    def name(self) -> str:
        return str(self.choice.value)

    @property
    def table(self) -> DirectoryTable:
        """The table of the directory shown, built the first time it is asked for."""
        if self.name not in self.tables:
            table = DirectoryTable(self.store.catalog, self.name, tz=self.tz)
            table.save_button.on_click(lambda _b: self._saved())
            self.tables[self.name] = table
        return self.tables[self.name]

    def show(self) -> None:
        """Show the picked directory's table (kept with its unsaved edits when switching back)."""
        self.body.children = [self.table.widget]
        self.fill_button.layout.display = "" if self.name in FILLS else "none"
        self._saved()

    def _saved(self) -> None:
        """What shows the stored directory besides its table: the download and the panel under it
        (a saved mailing's next runs)."""
        self._refresh_download()
        self.panel.children = [self.panels[self.name]()] if self.name in self.panels else []

    def load_file(self, filename: str, content: bytes) -> bool:
        """Import an uploaded CSV file (adding/updating rows, or replacing all with the checkbox);
        the table then shows the stored directory (its unsaved edits dropped)."""
        try:
            result = import_text(self.store.catalog, self.name, decode(content), source=filename,
                                 replace=self.replace.value)
        except AtsnbError as exc:
            self.table.say(str(exc), error=True)
            return False
        self.table.reload(t("dir_cli_imported", title=title(self.name), added=result.added, updated=result.updated,
                            removed=result.removed))
        self._refresh_download()
        return True

    def fill(self) -> None:
        """Add what the call records show (lines or employees) and show the directory again."""
        result = FILLS[self.name](self.store)
        self.table.reload(t("dir_cli_filled", title=title(self.name), seen=len(result.seen), added=result.added,
                            updated=result.updated))
        self._refresh_download()

    def _uploaded(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        self.load_file(item["name"], bytes(item["content"]))
        self.upload.value = ()

    def _refresh_download(self) -> None:
        """The stored directory as a CSV file for Excel (UTF-8 with BOM; secrets empty)."""
        text = export_text(self.store.catalog, self.name)
        payload = base64.b64encode(("\ufeff" + text).encode("utf-8")).decode("ascii")
        self.download.value = (f'<a download="{self.name}.csv" href="data:text/csv;charset=utf-8;base64,'
                               f'{payload}">{html.escape(t("dir_ui_download"))}</a>')
