"""A static snapshot of an executed report notebook: one HTML page that reads the same in a mail
client, a browser with JavaScript off, or a file opened from disk.

papermill runs a report notebook, whose :func:`atsnb.views.show` displays tables and KPI cards as
HTML and charts as PNG images, each output tagged with what it is.  :func:`render_snapshot` turns
the executed notebook into the page:

* nbconvert with the ``atsnb_snapshot`` template (``views/templates``): outputs only — no code,
  no prompts, no markdown, no script, no widget state;
* every style put inline (mail clients drop ``<style>`` blocks and never run scripts), laid out
  for a column of at most :data:`PAGE_WIDTH_PX` that also fits a phone;
* long tables cut to ``max_rows`` with "N more rows — open the dashboard" under them;
* charts taken out as :class:`SnapshotImage` parts: :meth:`Snapshot.html_with` puts each image's
  address in (``cid:`` parts for a mail, ``data:`` addresses for a single file).

The title, the filters and the headline figures come from the outputs' metadata, so a mail's
subject and plain-text part say what its HTML says.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from atsnb.errors import AtsnbError
from atsnb.i18n import language, t
from atsnb.views import style
from atsnb.views.format import number

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "atsnb_snapshot"
PAGE_WIDTH_PX = 860
IMAGE_SRC = "atsnb-image:"  # the placeholder address of an image until html_with names it

_F = style.FONT
# What the shared stylesheet (views/style.py) says, as inline styles a mail client keeps: no
# sticky headers, no grid; KPI cards as inline blocks that wrap on a phone.
MAIL_STYLES: tuple[tuple[str, str], ...] = (
    ("div.atsnb-snapshot", f"max-width:{PAGE_WIDTH_PX}px;margin:0 auto;padding:8px;font-family:{_F};color:#111827"),
    ("table.atsnb-table", f"border-collapse:collapse;font:13px {_F}"),
    # Headers wrap and the first column (who, which day) does not: a long header takes two lines
    # rather than squeezing every name into three.
    ("table.atsnb-table th", "text-align:left;vertical-align:bottom;padding:4px 8px;border-bottom:2px solid #888;"
                             "background:#f3f4f6"),
    ("table.atsnb-table td:first-child", "white-space:nowrap"),
    # Nothing is styled per cell (see _compact_cells): the row line goes on the row (Outlook for
    # Windows leaves it out; every other client draws it).
    ("table.atsnb-table tbody > tr", "border-bottom:1px solid #e5e7eb"),
    ("tr.atsnb-totals td", "font-weight:600;border-top:2px solid #888;background:#f9fafb"),
    (".atsnb-title", f"font:600 15px {_F};margin:14px 0 4px 0"),
    ("h2.atsnb-title", "font-size:20px;margin:4px 0 4px 0"),
    (".atsnb-note", f"font:12px {_F};color:#555;margin:2px 0 6px 0"),
    (".atsnb-kpi", f"display:inline-block;vertical-align:top;width:136px;margin:0 6px 8px 0;padding:8px 12px;"
                   f"border:1px solid #d1d5db;border-radius:8px;background:#fff;font-family:{_F}"),
    (".atsnb-kpi-value", "font-size:22px;font-weight:600;line-height:1.3;color:#111827"),
    (".atsnb-kpi-label", "font-size:12px;line-height:1.3;color:#4b5563"),
    ("img.atsnb-chart", "display:block;max-width:100%;height:auto;margin:10px 0 2px 0;border:0"),
    (".atsnb-link", f"font:14px {_F};margin:10px 0"),
    (".atsnb-footer", f"font:12px {_F};color:#6b7280;margin:18px 0 0 0;border-top:1px solid #e5e7eb;padding-top:8px"),
)


class SnapshotError(AtsnbError):
    """An executed notebook that cannot become a snapshot (it failed, or shows no report)."""


@dataclass(frozen=True)
class SnapshotImage:
    """A chart of the snapshot: its file name in the page (``chart-1.png``), the PNG and its title."""

    name: str
    png: bytes
    title: str


@dataclass(frozen=True)
class Snapshot:
    """The page of one executed report: ``html`` with each image at ``atsnb-image:<name>`` until
    :meth:`html_with` gives it an address; what the heading says (title, filters, headline figures)."""

    report: str
    title: str
    filters: dict[str, str]
    headline: list[tuple[str, str]]
    html: str
    images: tuple[SnapshotImage, ...] = ()
    link: str | None = None
    cut_tables: dict[str, int] = field(default_factory=dict)  # table key → rows left out

    def html_with(self, src: Callable[[SnapshotImage], str]) -> str:
        """The page with every image at the address ``src(image)`` gives (``cid:…`` in a mail)."""
        page = self.html
        for image in self.images:
            page = page.replace(f'src="{IMAGE_SRC}{image.name}"', f'src="{html.escape(src(image))}"')
        return page

    def standalone_html(self) -> str:
        """The page as one file: images as ``data:`` addresses (a preview on disk, not a mail)."""
        return self.html_with(lambda image: "data:image/png;base64," + base64.b64encode(image.png).decode("ascii"))

    def filters_line(self) -> str:
        return " · ".join(f"{k}: {v}" for k, v in self.filters.items())

    def text(self, footer: str = "") -> str:
        """The plain-text version: title, period and filters, the headline figures, the link."""
        lines = [self.title, self.filters_line(), ""]
        width = max((len(label) for label, _ in self.headline), default=0)
        lines += [f"{label + ':':<{width + 1}} {value}" for label, value in self.headline]
        if self.link:
            lines += ["", t("mail_open_dashboard") + ": " + self.link]
        if footer:
            lines += ["", "--", footer]
        return "\n".join(lines).strip() + "\n"


def _heading(notebook: nbformat.NotebookNode) -> dict:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            about = output.get("metadata", {}).get("atsnb") or {}
            if about.get("part") == "heading":
                return dict(about)
    raise SnapshotError(t("mail_no_report_in_notebook"))


def _failure(notebook: nbformat.NotebookNode) -> str | None:
    """The error an executed notebook stopped on, if it did."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    return None


def render_snapshot(notebook: nbformat.NotebookNode, *, max_rows: int = 20, link: str | None = None,
                    footer: str = "") -> Snapshot:
    """The snapshot of an executed report notebook.  ``max_rows``: rows kept per table (the rest
    are counted under it); ``link``: the live dashboard with the same filters, offered at the top,
    under every cut table and at the end; ``footer``: a closing line (which mailing, when)."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    failed = _failure(notebook)
    if failed:
        raise SnapshotError(t("mail_notebook_failed", error=failed))
    heading = _heading(notebook)
    exporter = HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    page, _ = exporter.from_notebook_node(
        notebook, resources={"atsnb_title": heading.get("title", ""), "atsnb_language": language()})
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup.find_all(["script", "style", "link", "iframe", "object", "embed"]):
        tag.decompose()
    images = _name_images(soup)
    cut = {}
    for box in soup.select('div.atsnb-output[data-part="table"]'):
        key, left_out = _cut_table(soup, box, max_rows, link)
        if left_out:
            cut[key] = left_out
    container = soup.select_one("div.atsnb-snapshot")
    if link:
        top = soup.new_tag("p", attrs={"class": "atsnb-link"})
        anchor = soup.new_tag("a", href=link)
        anchor.string = t("mail_open_dashboard")
        top.append(anchor)
        first = container.select_one('div.atsnb-output[data-part="heading"]')
        if first is not None:
            first.insert_after(top)
        else:
            container.insert(0, top)
    if footer or link:
        end = soup.new_tag("p", attrs={"class": "atsnb-footer"})
        end.string = footer
        if link:
            if footer:
                end.append(soup.new_tag("br"))
            anchor = soup.new_tag("a", href=link)
            anchor.string = link
            end.append(anchor)
        container.append(end)
    for box in soup.select("div.atsnb-output"):
        del box["data-part"], box["data-rows"]
    _inline_styles(soup)
    return Snapshot(report=str(heading.get("report", "")), title=str(heading.get("title", "")),
                    filters={str(k): str(v) for k, v in heading.get("filters") or []},
                    headline=[(str(a), str(b)) for a, b in heading.get("headline") or []],
                    html=str(soup), images=tuple(images), link=link, cut_tables=cut)


def _name_images(soup) -> list[SnapshotImage]:
    """Take every embedded PNG out of the page, leaving ``atsnb-image:chart-N.png`` in its place."""
    images = []
    for n, img in enumerate(soup.select('img[src^="data:image/png;base64,"]'), start=1):
        name = f"chart-{n}.png"
        images.append(SnapshotImage(name, base64.b64decode(img["src"].split(",", 1)[1]), img.get("alt", "")))
        img["src"] = IMAGE_SRC + name
        img["width"] = str(PAGE_WIDTH_PX - 60)  # Outlook sizes by the attribute, not by CSS
    return images


def _cut_table(soup, box, max_rows: int, link: str | None) -> tuple[str, int]:
    """Keep the first ``max_rows`` rows (and the totals row) of the table in ``box``; returns the
    table's key and how many rows were left out, said under it."""
    table = box.select_one("table.atsnb-table")
    if table is None:
        return "", 0
    rows = [tr for tr in table.select("tbody > tr") if "atsnb-totals" not in (tr.get("class") or [])]
    total = int(box.get("data-rows") or len(rows))
    if total <= max_rows:
        return table.get("data-key", ""), 0
    for tr in rows[max_rows:]:
        tr.decompose()
    for note in table.find_next_siblings("p", class_="atsnb-note"):
        note.decompose()  # the notebook's "N of M rows shown" counts its own page of rows
    more = soup.new_tag("p", attrs={"class": "atsnb-note"})
    more.string = t("mail_more_rows", count=number(total - max_rows)) + " — "
    if link:
        anchor = soup.new_tag("a", href=link)
        anchor.string = t("mail_open_dashboard_lower")
        more.append(anchor)
    else:
        more.string += t("mail_open_dashboard_lower")
    table.insert_after(more)
    return table.get("data-key", ""), total - max_rows


def _inline_styles(soup) -> None:
    """Every rule of :data:`MAIL_STYLES` written into the ``style`` of what it selects; a style the
    element already has (a row's colour) stays last, so it wins."""
    own = {id(tag): tag.get("style", "") for tag in soup.find_all(style=True)}
    given: dict[int, list[str]] = {}
    tags = {}
    for selector, declarations in MAIL_STYLES:
        for tag in soup.select(selector):
            given.setdefault(id(tag), []).append(declarations)
            tags[id(tag)] = tag
    for key, tag in tags.items():
        tag["style"] = ";".join([*given[key], own.get(key, "")]).strip(";")
    _compact_cells(soup)


def _compact_cells(soup) -> None:
    """Cells in the few bytes every mail client reads: the padding once per table
    (``cellpadding``), figures right-aligned by ``align``, no classes.  A style in each of a
    thousand cells would put a wide report over the ~100 KB of HTML at which Gmail clips a mail."""
    for table in soup.select("table.atsnb-table"):
        table["cellpadding"], table["cellspacing"] = "4", "0"
    for cell in soup.select("table.atsnb-table td.n"):
        cell["align"] = "right"
    for tag in soup.select("table.atsnb-table tr, table.atsnb-table td, table.atsnb-table th"):
        del tag["class"]
