"""CSV and XLSX download buttons for a dashboard table.

The bytes come from the report layer (:mod:`atsnb.reports.export`), so a download holds exactly
the rows of the filtered table, in the order it is sorted on screen, and its totals row.  They are produced only
when a button is pressed — a detailed table of every call can be megabytes — and handed to the
browser by a tiny script in an ``Output`` widget (Voila runs scripts of display outputs), which
saves them as a file.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable

import ipywidgets as w
from IPython.display import HTML

from atsnb.i18n import t
from atsnb.reports.export import csv_bytes, xlsx_bytes
from atsnb.reports.model import Element, Report

FORMATS = {
    "csv": "text/csv;charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_name(stem: str, fmt: str) -> str:
    """A safe file name: letters, digits, dots, dashes and underscores only."""
    return re.sub(r"[^\w.-]+", "_", stem, flags=re.ASCII).strip("_") + f".{fmt}"


def export_bytes(element: Element, fmt: str, report: Report | None = None) -> bytes:
    """The element's table as a file of the given format (``csv`` or ``xlsx``; the workbook also
    names the report and its filters)."""
    if fmt == "csv":
        return csv_bytes(element)
    return xlsx_bytes(element, report.filters if report else None, report.title if report else "")


def download_script(data: bytes, name: str, mime: str) -> str:
    """A script that saves ``data`` as a file named ``name`` in the visitor's browser."""
    b64 = base64.b64encode(data).decode("ascii")
    return (
        "<script>(function(){"
        f'const s=atob("{b64}");const u=new Uint8Array(s.length);'
        "for(let i=0;i<s.length;i++)u[i]=s.charCodeAt(i);"
        f"const url=URL.createObjectURL(new Blob([u],{{type:{json.dumps(mime)}}}));"
        f'const a=document.createElement("a");a.href=url;a.download={json.dumps(name)};'
        "document.body.appendChild(a);a.click();"
        "setTimeout(function(){URL.revokeObjectURL(url);a.remove();},2000);"
        "})();</script>"
    )


class DownloadButtons:
    """"CSV" and "XLSX" buttons; ``current`` gives the element as currently filtered and sorted."""

    def __init__(self, current: Callable[[], Element], stem: str, report: Report | None = None):
        self.current = current
        self.stem = stem
        self.report = report
        self.output = w.Output(layout=w.Layout(width="0px", height="0px", overflow="hidden"))
        self.buttons = []
        for fmt in FORMATS:
            button = w.Button(description=f"⤓ {fmt.upper()}", tooltip=t("dash_download", fmt=fmt.upper()),
                              layout=w.Layout(width="auto"))
            button.add_class(f"atsnb-export-{fmt}")
            button.on_click(lambda _b, fmt=fmt: self.download(fmt))
            self.buttons.append(button)
        self.widget = w.HBox([*self.buttons, self.output], layout=w.Layout(align_items="center"))
        self.widget.add_class("atsnb-downloads")

    def download(self, fmt: str) -> None:
        """Produce the file and send it to the browser."""
        data = export_bytes(self.current(), fmt, self.report)
        self.output.outputs = ()  # one pending file at a time; the previous script has run
        self.output.append_display_data(HTML(download_script(data, file_name(self.stem, fmt), FORMATS[fmt])))
