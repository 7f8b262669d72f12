"""The wall-board page and the list of monitors, as self-contained HTML (docs/monitor.md).

The board is one static page with a small script: it asks the server for the board's figures
(:func:`atsnb.views.monitor_board.board` as JSON) every ``refresh_s`` seconds and writes them into
the table it drew — the same cells, their text and colour changed, nothing added — so a TV left on
for weeks holds the same few hundred DOM nodes.  A failed request shows a red bar "no connection
since …" and is retried (5 s, doubling to at most the refresh interval) until the server answers
again; a server that answers with another page version (an upgrade) makes the page reload itself.

Readable across a room on a 1080p TV: white on black, the type sized from the number of rows so that
every row fits the screen without scrolling (20 participants and more), cells coloured green, amber
or red against their targets, a clock, and under the table when the figures were last received
and the time of the newest call they include.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable

from atsnb.i18n import language, t

_STYLE = """
*{box-sizing:border-box}
html,body{margin:0;height:100%;background:#000;color:#fff;font-family:"DejaVu Sans",Arial,sans-serif;overflow:hidden}
#board{display:flex;flex-direction:column;height:100vh;padding:1.2vh 1.5vw}
header{display:flex;justify-content:space-between;align-items:baseline;gap:2vw;font-size:4.2vh;font-weight:700}
#title{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#clock{font-variant-numeric:tabular-nums;white-space:nowrap}
#day{font-size:2.6vh;font-weight:400;color:#ccc;margin-left:1.5vw}
#offline{display:none;background:#c62828;color:#fff;font-weight:700;font-size:2.8vh;padding:.6vh 1vw;margin:.6vh 0}
body.offline #offline{display:block}
body.offline #grid{opacity:.55}
#wrap{flex:1;min-height:0;display:flex}
table{width:100%;height:100%;border-collapse:separate;border-spacing:.3vw .45vh;table-layout:fixed;font-size:var(--fs,3vh)}
th{font-size:.62em;font-weight:400;color:#ccc;text-align:right;padding:0 .5vw;line-height:1.1;vertical-align:bottom}
th:first-child,td:first-child{text-align:left;width:34%}
td{text-align:right;padding:0 .6vw;font-weight:700;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis;border-radius:.4vh}
tr.department td{background:#1f2a44}
tr.department td:first-child,tr.total td:first-child{font-weight:800}
tr.employee td:first-child{font-weight:400;padding-left:1.6vw}
tr.total td{border-top:.3vh solid #fff;background:#222}
td.good{background:#1b7a34 !important;color:#fff}
td.warn{background:#c77800 !important;color:#000}
td.bad{background:#c62828 !important;color:#fff}
footer{display:flex;justify-content:space-between;font-size:2.2vh;color:#bbb;padding-top:.6vh}
#message{font-size:3vh;padding:2vh 0}
"""

_SCRIPT = r"""
(function(){
  const cfg = JSON.parse(document.getElementById('config').textContent);
  const $ = (id) => document.getElementById(id);
  const override = parseFloat(new URLSearchParams(location.search).get('refresh_s'));
  let every = cfg.refresh_s, lastOk = null, failures = 0, layout = '', timer = null;
  const hhmm = (d, s) => d.toLocaleTimeString(cfg.locale, s ? {hour:'2-digit',minute:'2-digit',second:'2-digit',timeZone:cfg.tz}
                                                              : {hour:'2-digit',minute:'2-digit',timeZone:cfg.tz});
  const say = (key, vars) => cfg.texts[key].replace(/\{(\w+)\}/g, (_, k) => vars[k]);
  function tick(){ $('clock').textContent = hhmm(new Date(), true); }
  function fit(rows){
    const box = $('wrap').getBoundingClientRect();
    const byHeight = box.height / (rows + 1) * 0.58, byWidth = box.width / 38;
    $('grid').style.setProperty('--fs', Math.max(10, Math.min(byHeight, byWidth * 1.6)) + 'px');
  }
  function draw(data){
    const sig = JSON.stringify([data.indicators.map(i => i.key), data.rows.map(r => [r.kind, r.label])]);
    const grid = $('grid');
    if (sig !== layout){
      layout = sig;
      grid.textContent = '';
      const head = grid.createTHead().insertRow();
      head.appendChild(document.createElement('th')).textContent = cfg.texts.participant;
      data.indicators.forEach(i => { head.appendChild(document.createElement('th')).textContent = i.label; });
      const body = grid.createTBody();
      data.rows.forEach(r => {
        const tr = body.insertRow(); tr.className = r.kind;
        tr.insertCell().textContent = r.label;
        data.indicators.forEach(i => { const td = tr.insertCell(); td.dataset.key = i.key; });
      });
      fit(data.rows.length);
    }
    const rows = grid.tBodies[0].rows;
    data.rows.forEach((r, n) => {
      Array.from(rows[n].cells).slice(1).forEach(td => {
        const c = r.cells[td.dataset.key];
        if (td.textContent !== c.text) td.textContent = c.text;
        const cls = c.level === 'plain' ? '' : c.level;
        if (td.className !== cls) td.className = cls;
      });
    });
    $('title').textContent = data.title;
    $('day').textContent = say('today', {day: data.day});
    $('asof').textContent = data.newest_call ? say('data_as_of', {time: hhmm(new Date(data.newest_call))})
                                             : cfg.texts.no_calls;
  }
  function later(seconds){ clearTimeout(timer); timer = setTimeout(poll, seconds * 1000); }
  async function poll(){
    const stop = new AbortController(), guard = setTimeout(() => stop.abort(), 30000);
    try {
      const answer = await fetch(cfg.data_url, {cache: 'no-store', credentials: 'same-origin', signal: stop.signal});
      if (!answer.ok) throw new Error(answer.status + ' ' + (await answer.text()).slice(0, 300));
      const data = await answer.json();
      if (data.page_version !== cfg.version) { location.reload(); return; }
      if (data.error) { $('message').textContent = data.error; } else { $('message').textContent = ''; draw(data); }
      every = isNaN(override) ? data.refresh_s : Math.max(override, 0.02);
      lastOk = new Date(); failures = 0;
      document.body.classList.remove('offline');
      $('updated').textContent = say('updated', {time: hhmm(lastOk, true)});
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
      later(every);
    } catch (err) {
      failures += 1;
      document.body.classList.add('offline');
      $('offline').textContent = say('offline', {time: lastOk ? hhmm(lastOk, true) : '—'});
      later(Math.min(every, isNaN(override) ? 5 * 2 ** Math.min(failures - 1, 6) : every, 300));
    } finally { clearTimeout(guard); }
  }
  window.addEventListener('resize', () => { if (layout) fit(JSON.parse(layout)[1].length); });
  window.addEventListener('online', () => later(0));
  tick(); setInterval(tick, 1000); poll();
})();
"""

PAGE_VERSION = hashlib.sha256((_STYLE + _SCRIPT).encode()).hexdigest()[:12]


def _texts() -> dict[str, str]:
    keys = ("participant", "today", "data_as_of", "no_calls_today", "updated", "offline")
    texts = {k: t(f"mon_{k}") if k != "today" else t("mon_today", day="{day}") for k in keys}
    texts["data_as_of"] = t("mon_data_as_of", time="{time}")
    texts["updated"] = t("mon_updated", time="{time}")
    texts["offline"] = t("mon_offline", time="{time}")
    texts["no_calls"] = texts.pop("no_calls_today")
    return texts


def _json_for_script(value: object) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` can close it early)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def board_page(title: str, data_url: str, refresh_s: int, timezone: str) -> str:
    """The board of one monitor: an empty table the script fills from ``data_url``; its clock and
    times in ``timezone`` (the PBX's, whatever the TV's own)."""
    config = {"data_url": data_url, "refresh_s": refresh_s, "tz": timezone, "version": PAGE_VERSION, "texts": _texts(),
              "locale": "ru-RU" if language() == "ru" else "en-GB"}
    return f"""<!DOCTYPE html>
<html lang="{language()}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body><div id="board">
<header><div id="title">{html.escape(title)}</div><div><span id="clock"></span><span id="day"></span></div></header>
<div id="offline"></div><div id="message">{html.escape(t("mon_loading"))}</div>
<div id="wrap"><table id="grid"></table></div>
<footer><span id="updated"></span><span id="asof"></span></footer>
</div>
<script type="application/json" id="config">{_json_for_script(config)}</script>
<script>{_SCRIPT}</script></body></html>
"""


def list_page(monitors: Iterable[tuple[str, str, str, str]], unknown: str | None = None) -> str:
    """The monitors there are — (name, title, board address, TV link) each — and, when a board was
    asked for by a name that names none, a sentence saying so."""
    items = "".join(
        f'<li><a href="{html.escape(url)}">{html.escape(title)}</a> <code>{html.escape(name)}</code>'
        f' · <a class="tv" href="{html.escape(tv)}">{html.escape(t("mon_tv_link"))}</a></li>'
        for name, title, url, tv in monitors)
    head = (f"<p class='unknown'>{html.escape(t('mon_unknown', name=unknown))}</p>" if unknown is not None else "")
    body = f"<ul>{items}</ul><p class='note'>{html.escape(t('mon_tv_link_note'))}</p>" if items else \
        f"<p>{html.escape(t('mon_none'))}</p>"
    return f"""<!DOCTYPE html>
<html lang="{language()}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>{html.escape(t("mon_list_title"))}</title>
<style>body{{font-family:"DejaVu Sans",Arial,sans-serif;margin:5vh 5vw;font-size:22px;background:#000;color:#fff}}
a{{color:#8cf}} li{{margin:.6em 0}} .unknown{{color:#ffb74d;font-weight:700}} .note{{color:#bbb;font-size:16px}}
code{{color:#ccc}}</style></head>
<body><h1>{html.escape(t("mon_list_title"))}</h1>{head}{body}</body></html>
"""


def board_html(data: dict) -> str:
    """A board's figures as a static table (a notebook's view of a monitor, no script)."""
    if data.get("error"):
        return f"<p>{html.escape(data['error'])}</p>"
    keys = [i["key"] for i in data["indicators"]]
    colours = {"good": "#1b7a34", "warn": "#c77800", "bad": "#c62828"}
    head = "".join(f"<th>{html.escape(i['label'])}</th>" for i in data["indicators"])
    rows = "".join(
        f"<tr><td><b>{html.escape(r['label'])}</b></td>" + "".join(
            f"<td style='text-align:right;{'background:' + colours[c['level']] + ';color:#fff' if c['level'] in colours else ''}'>"
            f"{html.escape(c['text'])}</td>" for c in (r["cells"][k] for k in keys)) + "</tr>"
        for r in data["rows"])
    return (f"<h3>{html.escape(data['title'])} — {html.escape(t('mon_today', day=data['day']))}</h3>"
            f"<table><tr><th>{html.escape(t('mon_participant'))}</th>{head}</tr>{rows}</table>")
