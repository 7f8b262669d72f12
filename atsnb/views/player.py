"""The call-recording player: the browser's own ``<audio>`` control (play, seek, speed, download in
its menu) plus a visible download link, pointed at the dashboards server's recordings endpoint
(``/atsnb/recordings/<call id>``, which answers with the call's recording and honours ``Range``).

The address names the call, never a file: the server finds the file from the store.  An ``<audio>``
cannot show why a recording failed, so when the page can ask a :class:`Checker` (the composition
root's ``ctx.recordings``) the player checks first, in the kernel, and shows the sentence — "no
longer on the PBX", "the file is empty" — instead of a control that would not play; should the
audio fail anyway, the control is replaced by the endpoint's sentence.
"""

from __future__ import annotations

import html
from typing import Protocol
from urllib.parse import quote

import ipywidgets as w

from atsnb.i18n import t
from atsnb.recordings.problems import RecordingUnavailable

ENDPOINT = "atsnb/recordings/"

PLAYER_CSS = (
    ".atsnb-player{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;"
    "font:13px system-ui,sans-serif;max-width:100%;margin:2px 0;}"
    ".atsnb-player audio{width:100%;max-width:460px;min-width:0;height:40px;}"
    ".atsnb-player-note{color:#555;font:13px system-ui,sans-serif;}"
    ".atsnb-player-problem{display:inline-block;max-width:100%;box-sizing:border-box;color:#78350f;"
    "background:#fef3c7;border:1px solid #fcd34d;border-radius:6px;padding:4px 8px;"
    "font:13px system-ui,sans-serif;overflow-wrap:anywhere;}"
)


# When the audio fails after all (nobody could check first, or the file went away since), ask the
# endpoint for its sentence and put it in place of the control.  An inline handler, not a <script>:
# a widget's HTML runs no scripts, but attributes' handlers work there and in a static page alike.
ON_ERROR = (
    "var a=this;fetch(a.currentSrc||a.src,{headers:{Range:'bytes=0-0'}})"
    ".then(function(r){return r.ok?'':r.text();})"
    ".then(function(m){if(!m){return;}var d=document.createElement('span');"
    "d.className='atsnb-player-problem';d.setAttribute('role','status');d.textContent=m.trim();"
    "(a.closest('.atsnb-player')||a).replaceWith(d);});"
)


class Checker(Protocol):
    """What the player asks before it shows a control: why this call's recording cannot be
    played, or None when it can."""

    def problem(self, call_id: str) -> RecordingUnavailable | None: ...


def recording_url(call_id: str, *, base: str = "/", download: bool = False) -> str:
    """The endpoint's address for one call (``base``: the server's base path, ``/`` by default)."""
    return f"{base.rstrip('/')}/{ENDPOINT}{quote(str(call_id), safe='')}" + ("?download=1" if download else "")


def player_html(call_id: str, recording: str | None, *, checker: Checker | None = None, base: str = "/") -> str:
    """The player as plain HTML (a read-only page, a table cell): the audio control and the download
    link, or the sentence saying why there is nothing to play."""
    if not recording:
        return f'<span class="atsnb-player-note">{html.escape(t("recording_none"))}</span>'
    problem = checker.problem(call_id) if checker is not None else None
    if problem is not None:
        return f'<span class="atsnb-player-problem" role="status">{html.escape(problem.message())}</span>'
    src = html.escape(recording_url(call_id, base=base))
    download = html.escape(recording_url(call_id, base=base, download=True))
    title = html.escape(t("recording_title"))
    return (
        f'<div class="atsnb-player" data-call-id="{html.escape(str(call_id))}">'
        f'<audio controls preload="none" src="{src}" title="{title}" aria-label="{title}"'
        f' onerror="{html.escape(ON_ERROR)}"></audio>'
        f'<a class="atsnb-player-download" href="{download}" download>{html.escape(t("recording_download"))}</a>'
        "</div>"
    )


def recording_player(call_id: str, recording: str | None, *, checker: Checker | None = None,
                     base: str = "/") -> w.HTML:
    """The player as a widget for the dashboards (see :func:`player_html`)."""
    body = player_html(call_id, recording, checker=checker, base=base)
    return w.HTML(f"<style>{PLAYER_CSS}</style>{body}", layout=w.Layout(max_width="100%"))
