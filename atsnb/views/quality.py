"""The data-quality note of a dashboard: one line saying what the figures rest on ("12 345 records →
4 321 calls · answers of 3 % of calls from CDR only"), which opens into the whole audit
(:mod:`atsnb.calls.audit`, docs/data-quality.md), so a manager sees when a figure rests on weaker data.

The note must never hold the figures back: the audit re-reads the period's raw rows and rebuilds
its calls (about a second for a month, more for a year; docs/performance.md), so it is asked for
only once the figures are shown, and in a dashboard's kernel it runs in a worker thread while the
page stays live, a spinner standing in for it.  One audit runs at a time; a result asked for before
the filters changed again is dropped.  Opening and closing it is the browser's own ``<details>``:
no round trip to the kernel.
"""

from __future__ import annotations

import asyncio
import html
import logging
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import ipywidgets as w

from atsnb.calls.audit import Audit
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.views.style import FONT

log = logging.getLogger(__name__)

NOTE_CSS = f"""<style>
.atsnb-quality{{font:12px {FONT};color:#4b5563;margin:0 0 6px 0;}}
.atsnb-quality summary{{cursor:pointer;line-height:1.5;}}
.atsnb-quality .atsnb-quality-label{{font-weight:600;}}
.atsnb-quality-lines{{margin:4px 0 2px 14px;max-width:900px;}}
.atsnb-quality-line{{margin-top:4px;color:#374151;}}
.atsnb-quality-line b{{font-weight:600;}}
.atsnb-quality-why{{margin-left:14px;color:#6b7280;}}
</style>"""

# One audit at a time: the machine's cores belong to the figures first.
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atsnb-audit")

Auditor = Callable[[Mapping[str, object]], Audit]


class QualityNote:
    """The note's widget and its updates; ``audit`` turns the dashboard's filter values into the
    period's :class:`~atsnb.calls.audit.Audit`."""

    def __init__(self, audit: Auditor):
        self.audit = audit
        self.html = w.HTML(layout=w.Layout(width="100%"))
        self.widget = w.VBox([w.HTML(NOTE_CSS), self.html], layout=w.Layout(width="100%"))
        self.widget.add_class("atsnb-quality-box")
        self._asked = 0

    def update(self, filters: Mapping[str, object]) -> None:
        """Show a spinner and audit the period of ``filters``: in the worker inside a kernel (the
        result comes back on the kernel's event loop), else at once (a test, a plain script)."""
        self._asked += 1
        asked = self._asked
        self.html.value = (f'<div class="atsnb-quality"><span class="atsnb-spinner"></span>'
                           f'{html.escape(t("audit_note_computing"))}</div>')
        loop = _kernel_loop()
        if loop is None:
            self._show(asked, self._compute(asked, dict(filters)))
            return
        future = loop.run_in_executor(_WORKER, self._compute, asked, dict(filters))
        future.add_done_callback(lambda done: self._show(asked, done.result()))

    def _compute(self, asked: int, filters: dict[str, object]) -> Audit | str | None:
        """The audit, or one sentence saying why there is none; None when newer filters superseded it."""
        if asked != self._asked:
            return None
        try:
            return self.audit(filters)
        except AtsnbError as exc:
            return str(exc)
        except Exception as exc:  # the figures stand; the note says it failed, the log has the rest
            log.exception("data-quality audit failed")
            return f"{type(exc).__name__}: {exc}"

    def _show(self, asked: int, result: Audit | str | None) -> None:
        if result is None or asked != self._asked:
            return
        if isinstance(result, str):
            self.html.value = f'<div class="atsnb-quality">{html.escape(t("audit_note_failed", error=result))}</div>'
            return
        self.html.value = note_html(result)


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the Jupyter kernel this runs in (a dashboard's), if any.  Any
    running loop is not enough: a loop another library left running in a plain process (a browser
    driver's) never takes the result back."""
    kernel_app = sys.modules.get("ipykernel.kernelapp")
    if kernel_app is None or not kernel_app.IPKernelApp.initialized():
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def note_html(audit: Audit) -> str:
    """The one-line summary in a ``<details>`` that opens into every line of the audit."""
    rows = []
    for label, value, details in audit.lines():
        rows.append(f'<div class="atsnb-quality-line"><b>{html.escape(label)}:</b> {html.escape(value)}</div>')
        rows += [f'<div class="atsnb-quality-why">{html.escape(d)}</div>' for d in details]
    return (f'<details class="atsnb-quality"><summary><span class="atsnb-quality-label">'
            f'{html.escape(t("audit_note_label"))}:</span> {html.escape(audit.summary())}</summary>'
            f'<div class="atsnb-quality-lines">{"".join(rows)}</div></details>')
