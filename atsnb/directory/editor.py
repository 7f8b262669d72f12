"""The directories editor for the browser (Voila page ``dashboards/directories.ipynb``).

A directory is shown as the CSV text ``atsnb directory export`` writes, in a text area: people
edit it line by line (one row per line, values separated by ``;``), and "Save" runs exactly the
checks of a CSV import — all problems listed with line and field,
nothing written until there are none.  Beside it: "Fill from the PBX" for lines and employees,
uploading a CSV file, and downloading the directory as a CSV file for Excel.

    DirectoryEditor(store).widget        # display it in a notebook or a Voila page
"""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets

from atsnb.directory.csv_io import decode, export_text, import_text
from atsnb.directory.fill import fill_employees, fill_lines
from atsnb.directory.rules import title
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.store import DIRECTORIES, Store

FILLS = {"lines": fill_lines, "employees": fill_employees}


class DirectoryEditor:
    """One directory at a time as editable CSV text, with save, fill, upload and download."""

    def __init__(self, store: Store, name: str = "employees"):
        self.store = store
        self.choice = widgets.Dropdown(options=[(title(n), n) for n in DIRECTORIES], value=name,
                                       description=t("dir_ui_directory"))
        self.text = widgets.Textarea(layout=widgets.Layout(width="100%", height="24em"))
        self.save_button = widgets.Button(description=t("dir_ui_save"), button_style="primary", icon="check")
        self.reload_button = widgets.Button(description=t("dir_ui_reload"), icon="undo")
        self.fill_button = widgets.Button(description=t("dir_ui_fill"), icon="search")
        self.upload = widgets.FileUpload(accept=".csv,.txt,text/csv", multiple=False,
                                         description=t("dir_ui_upload"))
        self.replace = widgets.Checkbox(value=False, description=t("dir_ui_replace"), indent=False)
        self.download = widgets.HTML()
        self.message = widgets.HTML()
        self.widget = widgets.VBox([
            self.choice,
            widgets.HTML(f"<small>{html.escape(t('dir_ui_help'))}</small>"),
            self.text,
            widgets.HBox([self.save_button, self.reload_button, self.fill_button, self.download],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.upload, self.replace], layout=widgets.Layout(flex_flow="row wrap")),
            self.message,
        ])
        self.choice.observe(lambda _: self.reload(), names="value")
        self.save_button.on_click(lambda _: self.save())
        self.reload_button.on_click(lambda _: self.reload())
        self.fill_button.on_click(lambda _: self.fill())
        self.upload.observe(self._uploaded, names="value")
        self.reload()

    @property
    def name(self) -> str:
        return str(self.choice.value)

    def reload(self, note: str = "") -> None:
        """Show the stored directory (dropping unsaved edits); ``note`` is shown as the message."""
        text = export_text(self.store.catalog, self.name)
        self.text.value = text.replace("\r\n", "\n")
        count = len(self.store.catalog.read(self.name))
        self.fill_button.layout.display = "" if self.name in FILLS else "none"
        payload = base64.b64encode(("\ufeff" + text).encode("utf-8")).decode("ascii")
        self.download.value = (f'<a download="{self.name}.csv" href="data:text/csv;charset=utf-8;base64,'
                               f'{payload}">{html.escape(t("dir_ui_download"))}</a>')
        self._say(note or t("dir_ui_rows", count=count))

    def save(self) -> bool:
        """Write the text area as the whole directory (the checks of an import); True when saved."""
        return self._import(self.text.value, source=f"{self.name}.csv", replace=True)

    def load_file(self, filename: str, content: bytes) -> bool:
        """Import an uploaded CSV file (adding/updating rows, or replacing all with the checkbox)."""
        return self._import(decode(content), source=filename, replace=self.replace.value)

    def fill(self) -> None:
        """Add what the call records show (lines or employees) and show the directory again."""
        result = FILLS[self.name](self.store)
        self.reload(t("dir_cli_filled", title=title(self.name), seen=len(result.seen), added=result.added,
                      updated=result.updated))

    def _import(self, text: str, *, source: str, replace: bool) -> bool:
        try:
            result = import_text(self.store.catalog, self.name, text, source=source, replace=replace)
        except AtsnbError as exc:
            self._say(str(exc), error=True)
            return False
        self.reload(t("dir_cli_imported", title=title(self.name), added=result.added, updated=result.updated,
                      removed=result.removed))
        return True

    def _uploaded(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        self.load_file(item["name"], bytes(item["content"]))
        self.upload.value = ()

    def _say(self, text: str, *, error: bool = False) -> None:
        colour = "#b00020" if error else "#1b5e20"
        self.message.value = (f'<pre style="white-space: pre-wrap; color: {colour}; margin: 0">'
                              f"{html.escape(text)}</pre>")
