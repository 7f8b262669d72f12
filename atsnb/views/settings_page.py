"""The settings page for administrators (Voila page ``dashboards/settings.ipynb``, docs/settings.md).

Every setting with its effective value and where it comes from (:func:`atsnb.settings_file.entries`):
the file, a default, or an ``ATSNB_…`` variable — shown locked, since the file's value would not
take effect.  "Save" writes the changed ones back into the settings file with its comments kept
(:func:`atsnb.settings_file.write`).  Secrets are write-only: the field says "set" or "not set" and
is empty; what is typed into it goes to the kernel once (no echo back to the browser, see
:class:`SecretText`) and is cleared after saving.

Under the settings, buttons that answer in plain words, each with a spinner while it works:
check the PBX (what ``atsnb check`` says), send a test e-mail, check a Telegram token, play the
newest recording, load the numbering registry from uploaded files.  They run in the page's kernel
with the real file's values (:func:`atsnb.settings_file.effective_settings`); what they show never
holds a secret.  The mail and Telegram checks live above this layer and are handed in.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
from traitlets import Unicode

from atsnb.config import FOLLOW_UPS, HOSTINGS, Settings
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.recordings.newest import newest_recorded_call
from atsnb.reference.numbering_store import registry_status
from atsnb.reference.numbering_upload import load_uploaded
from atsnb.settings_file import Entry, Locked, effective_settings, entries, write
from atsnb.source.check import check_pbx, render
from atsnb.store import Store
from atsnb.views.app import close_tree
from atsnb.views.player import Checker, recording_player

log = logging.getLogger(__name__)

CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("pbx", "hosting"): HOSTINGS,
    ("ui", "language"): ("ru", "en"),
    ("telegram", "follow_up"): FOLLOW_UPS,
    ("simulate", "technology"): ("pjsip", "sip", "iax2", "dahdi"),
    ("simulate", "queue_log_data"): ("split", "single"),
}

PAGE_CSS = """<style>
.atsnb-settings{max-width:980px;font:14px system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;}
.atsnb-settings .widget-html-content{min-width:0;}
.atsnb-settings .widget-html{margin-left:0;margin-right:0;}
.atsnb-settings h2{font-size:20px;margin:8px 0 4px 0;}
.atsnb-settings h3{font-size:16px;margin:18px 0 4px 0;border-bottom:1px solid #e5e7eb;padding-bottom:2px;}
.atsnb-setting{display:flex;flex-wrap:wrap;align-items:center;gap:2px 12px;padding:3px 0;
border-bottom:1px solid #f3f4f6;}
.atsnb-setting-label{flex:0 0 300px;min-width:0;overflow-wrap:anywhere;}
.atsnb-setting-label code{font-size:13px;color:#111827;}
.atsnb-setting-input{flex:1 1 260px;min-width:0;}
.atsnb-setting-input input[type=text],.atsnb-setting-input input[type=password],
.atsnb-setting-input input[type=number],.atsnb-setting-input select{width:100%;box-sizing:border-box;}
.atsnb-setting .widget-text,.atsnb-setting .widget-dropdown,.atsnb-setting .widget-password{width:100%;}
.atsnb-source{display:inline-block;font-size:12px;border-radius:10px;padding:0 8px;margin-left:6px;
white-space:normal;}
.atsnb-source-file{background:#dcfce7;color:#14532d;}
.atsnb-source-default{background:#f3f4f6;color:#374151;}
.atsnb-source-env{background:#fee2e2;color:#7f1d1d;}
.atsnb-settings-note{font-size:13px;color:#4b5563;overflow-wrap:anywhere;}
.atsnb-action{border:1px solid #e5e7eb;border-radius:8px;padding:8px 10px;margin:6px 0;}
.atsnb-action-row{gap:6px 10px;align-items:center;}
.atsnb-settings .jupyter-button{width:auto;max-width:100%;height:auto;min-height:28px;white-space:normal;
overflow:visible;text-overflow:clip;padding:4px 12px;}
.atsnb-save-bar{position:sticky;bottom:0;background:#fff;border-top:1px solid #e5e7eb;padding:6px 0;z-index:2;}
.atsnb-answer{font-size:13px;overflow-wrap:anywhere;}
.atsnb-answer ul{margin:4px 0;padding-left:20px;}
.atsnb-ok{color:#14532d;}
.atsnb-problem{color:#991b1b;background:#fee2e2;border:1px solid #fca5a5;border-radius:6px;padding:6px 10px;
display:block;}
.atsnb-spinner{display:inline-block;width:14px;height:14px;border:2px solid #cbd5e1;border-top-color:#1f77b4;
border-radius:50%;animation:atsnb-spin .8s linear infinite;vertical-align:middle;margin-right:6px;}
@keyframes atsnb-spin{to{transform:rotate(360deg);}}
@media (max-width:600px){.atsnb-setting-label{flex-basis:100%;}.atsnb-setting-input{flex-basis:100%;}}
</style>"""


class SecretText(w.Password):
    """A password field whose typed value is never sent back to the browser: ipywidgets 8 echoes
    every change to the front ends by default, which would put a new secret into a message."""

    value = Unicode("", help="the typed secret").tag(sync=True, echo_update=False)


def spinner(text: str) -> str:
    return f'<span class="atsnb-spinner"></span>{html.escape(text)}'


def answer(lines: list[str], *, ok: bool = True) -> str:
    """Plain words: the first line as the sentence, the rest as a list under it."""
    head, rest = (lines[0] if lines else ""), lines[1:]
    body = f'<div class="{"atsnb-ok" if ok else "atsnb-problem"}">{html.escape(head)}</div>'
    if rest:
        body += "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in rest) + "</ul>"
    return f'<div class="atsnb-answer">{body}</div>'


def problem(text: str) -> str:
    return f'<div class="atsnb-answer"><span class="atsnb-problem" role="alert">{html.escape(text)}</span></div>'


def pbx_answer(settings: Settings) -> list[str]:
    """``atsnb check`` in plain words: the verdict first, then every fact it found."""
    lines = render(check_pbx(settings))
    return [lines[-1], *lines[:-1]]


def newest_recording(store: Store) -> tuple[str, pd.Series | None]:
    """The sentence about the newest recorded call, and the call (None when there is none)."""
    call = newest_recorded_call(store)
    if call is None:
        return t("set_rec_none"), None
    who = str(call["answered_by"] or "—")
    number = str(call["external_number"] or call["caller"] or "—")
    return t("set_rec_newest", start=call["start"].strftime("%Y-%m-%d %H:%M"), number=number, who=who), call


def registry_answer(store: Store, files: Mapping[str, bytes]) -> list[str]:
    """Load the uploaded registry files; what was read and rejected, file by file."""
    report = load_uploaded(store, files)
    rejected = sum(f.rejected_total for f in report.files)
    read = sum(f.read for f in report.files)
    return [t("set_reg_loaded", files=len(report.files), read=read, rejected=rejected), *report.lines()]


def registry_now(store: Store) -> str:
    """Which registry the reports use now, in one sentence."""
    status = registry_status(store)
    key = "reg_status_shipped" if status["source"] == "shipped" else "reg_status_store"
    return t(key, ranges=f"{status['ranges']:,}".replace(",", "\u202f"))


class SettingsPage:
    """The settings form and the check buttons (module docstring).

    ``path``: the settings file the server was started with (None: nothing can be saved);
    ``locked``: the settings the server's environment sets, with the variable; ``environment``: the
    server's settings as the kernel has them (no secrets) — the values of the locked settings;
    ``send_test_mail(settings, to)`` and ``check_bot_token(settings, token)`` answer a sentence or
    raise :class:`~atsnb.errors.AtsnbError`."""

    def __init__(self, path: str | Path | None, *, locked: Locked, environment: Settings,
                 store: Callable[[], Store], recordings: Callable[[], Checker],
                 send_test_mail: Callable[[Settings, str], str], check_bot_token: Callable[[Settings, str], str]):
        self.path = Path(path).expanduser() if path else None
        self.locked = dict(locked)
        self.environment = environment
        self._store = store
        self._recordings = recordings
        self._send_test_mail = send_test_mail
        self._check_bot_token = check_bot_token
        self.fields: dict[tuple[str, str], w.Widget] = {}
        self.entries: dict[tuple[str, str], Entry] = {}
        self._workers: list[threading.Thread] = []

        self.form = w.VBox()
        self.save_button = w.Button(description=t("set_save"), button_style="primary", icon="check")
        self.save_button.on_click(lambda _: self.save())
        self.message = w.HTML()
        self.actions = self._build_actions()
        save_bar = w.VBox([self.save_button, self.message])
        save_bar.add_class("atsnb-save-bar")
        where = (t("set_file", path=str(self.path)) if self.path else t("set_no_file"))
        self.widget = w.VBox([
            w.HTML(PAGE_CSS + f"<h2>{html.escape(t('set_title'))}</h2>"
                   f'<div class="atsnb-settings-note">{html.escape(where)}</div>'
                   f'<div class="atsnb-settings-note">{html.escape(t("set_restart_note"))}</div>'),
            w.HTML(f"<h3>{html.escape(t('set_checks'))}</h3>"),
            self.actions,
            self.form,
            save_bar,
        ])
        self.widget.add_class("atsnb-settings")
        self.save_button.disabled = self.path is None
        self.reload()
        try:
            self.reg_out.value = answer([registry_now(self._store())])
        except AtsnbError as exc:  # no store yet: the registry can still be loaded once there is one
            self.reg_out.value = problem(str(exc))

    # -- the settings -------------------------------------------------------------------------
    def settings(self) -> Settings:
        """The settings as the server runs with them, from the file as it is now."""
        return effective_settings(self.path, self.locked, self.environment)

    def reload(self) -> None:
        """Read the file again and show every setting with its source."""
        found = entries(self.path, locked=self.locked, environment=self.environment)
        self.entries = {(e.section, e.key): e for e in found}
        for old in self.form.children:  # the previous form's models go, typed secrets with them
            close_tree(old)
        self.fields = {}
        children: list[w.Widget] = []
        section = None
        for entry in found:
            if entry.section != section:
                section = entry.section
                children.append(w.HTML(f"<h3>[{html.escape(section)}] {html.escape(t(f'set_section_{section}'))}</h3>"))
            field = self._field(entry)
            self.fields[entry.section, entry.key] = field
            label = w.HTML(self._label(entry))
            label.add_class("atsnb-setting-label")
            field.add_class("atsnb-setting-input")
            row = w.Box([label, field])
            row.add_class("atsnb-setting")
            row.add_class(f"atsnb-setting-{entry.section}-{entry.key}")
            children.append(row)
        self.form.children = children

    def _label(self, entry: Entry) -> str:
        if entry.locked:
            source = t("set_source_env", variable=entry.variable)
        else:
            source = t(f"set_source_{entry.source}")
        return (f"<code>{html.escape(entry.key)}</code>"
                f'<span class="atsnb-source atsnb-source-{entry.source}">{html.escape(source)}</span>')

    def _field(self, entry: Entry) -> w.Widget:
        key = (entry.section, entry.key)
        if entry.secret:
            hint = t("set_secret_locked", variable=entry.variable) if entry.locked else \
                t("set_secret_set") if entry.is_set else t("set_secret_unset")
            field: w.Widget = SecretText(value="", placeholder=hint)
        elif key in CHOICES:
            field = w.Dropdown(options=list(CHOICES[key]), value=entry.value)
        elif isinstance(entry.value, bool):
            field = w.Checkbox(value=entry.value, indent=False)
        elif isinstance(entry.value, int):
            field = w.IntText(value=entry.value)
        else:
            field = w.Text(value=str(entry.value))
        field.disabled = entry.locked or self.path is None
        field.layout = w.Layout(width="auto", min_width="0")
        return field

    def changes(self) -> dict[tuple[str, str], Any]:
        """The settings changed on the page: values that differ, secrets that were typed."""
        out: dict[tuple[str, str], Any] = {}
        for key, field in self.fields.items():
            entry = self.entries[key]
            if entry.locked:
                continue
            if entry.secret:
                if field.value:
                    out[key] = field.value
            elif field.value != entry.value:
                out[key] = field.value
        return out

    def save(self) -> bool:
        """Write the changed settings into the file (comments kept); True when something was saved."""
        if self.path is None:
            self.message.value = problem(t("set_no_file"))
            return False
        changed = self.changes()
        if not changed:
            self.message.value = answer([t("set_nothing_changed")])
            return False
        try:
            write(self.path, changed, locked=self.locked)
        except AtsnbError as exc:
            self.message.value = problem(str(exc))
            return False
        names = ", ".join(f"{s}.{k}" for s, k in changed)
        self.reload()
        self.message.value = answer([t("set_saved", count=len(changed), names=names, path=str(self.path)),
                                     t("set_restart_note")])
        return True

    # -- the buttons --------------------------------------------------------------------------
    def _build_actions(self) -> w.VBox:
        self.pbx_button = w.Button(description=t("set_pbx_button"), icon="plug")
        self.pbx_out = w.HTML()
        self.pbx_button.on_click(lambda _: self.run(self.pbx_button, self.pbx_out,
                                                   lambda: answer(pbx_answer(self.settings()))))

        self.mail_to = w.Text(placeholder=t("set_mail_to"), layout=w.Layout(width="22em", max_width="100%"))
        self.mail_button = w.Button(description=t("set_mail_button"), icon="envelope")
        self.mail_out = w.HTML()
        self.mail_button.on_click(lambda _: self.run(self.mail_button, self.mail_out, self._mail))

        self.token = SecretText(placeholder=t("set_tg_token"), layout=w.Layout(width="22em", max_width="100%"))
        self.tg_button = w.Button(description=t("set_tg_button"), icon="paper-plane")
        self.tg_out = w.HTML()
        self.tg_button.on_click(lambda _: self.run(self.tg_button, self.tg_out, self._telegram))

        self.rec_button = w.Button(description=t("set_rec_button"), icon="play")
        self.rec_out = w.HTML()
        self.rec_player = w.VBox(layout=w.Layout(width="100%", max_width="100%"))
        self.rec_button.on_click(lambda _: self.run(self.rec_button, self.rec_out, self._recording))

        self.upload = w.FileUpload(accept=".csv,.gz", multiple=True, description=t("set_reg_choose"))
        self.reg_button = w.Button(description=t("set_reg_button"), icon="upload")
        self.reg_out = w.HTML()
        self.reg_button.on_click(lambda _: self.run(self.reg_button, self.reg_out, self._registry))

        def box(title: str, *rows: w.Widget) -> w.VBox:
            out = w.VBox([w.HTML(f"<b>{html.escape(title)}</b>"), *rows])
            out.add_class("atsnb-action")
            return out

        def row(*items: w.Widget) -> w.Box:
            out = w.Box(list(items), layout=w.Layout(flex_flow="row wrap"))
            out.add_class("atsnb-action-row")
            return out

        return w.VBox([
            box(t("set_pbx_title"), row(self.pbx_button), self.pbx_out),
            box(t("set_mail_title"), row(self.mail_to, self.mail_button), self.mail_out),
            box(t("set_tg_title"), row(self.token, self.tg_button), self.tg_out),
            box(t("set_rec_title"), row(self.rec_button), self.rec_out, self.rec_player),
            box(t("set_reg_title"), row(self.upload, self.reg_button), self.reg_out),
        ])

    def run(self, button: w.Button, out: w.HTML, work: Callable[[], str]) -> None:
        """``work`` on a thread of its own: the button off and a spinner meanwhile, then its answer
        (an error's sentence when it fails; an unexpected failure only by its kind)."""
        button.disabled = True
        out.value = spinner(t("set_working"))

        def go() -> None:
            try:
                out.value = work()
            except AtsnbError as exc:
                out.value = problem(str(exc))
            except Exception as exc:  # noqa: BLE001 — the page must answer; its text may hold secrets
                log.warning("settings page: %s failed with %s", button.description, type(exc).__name__)
                out.value = problem(t("set_failed", kind=type(exc).__name__))
            finally:
                button.disabled = False

        worker = threading.Thread(target=go, daemon=True, name="atsnb-settings-action")
        self._workers.append(worker)
        worker.start()

    def wait(self, timeout_s: float = 60) -> None:
        """Until every button's work has answered (for tests and scripts)."""
        for worker in self._workers:
            worker.join(timeout_s)

    def _mail(self) -> str:
        settings = self.settings()
        return answer([self._send_test_mail(settings, self.mail_to.value or settings.smtp.sender)])

    def _telegram(self) -> str:
        typed, self.token.value = self.token.value, ""
        return answer([self._check_bot_token(self.settings(), typed)])

    def _recording(self) -> str:
        sentence, call = newest_recording(self._store())
        if call is None:
            self.rec_player.children = []
            return answer([sentence], ok=False)
        self.rec_player.children = [recording_player(str(call["call_id"]), str(call["recording"]),
                                                     checker=self._recordings())]
        return answer([sentence])

    def _registry(self) -> str:
        files = {item["name"]: bytes(item["content"]) for item in self.upload.value}
        self.upload.value = ()
        store = self._store()
        return answer([*registry_answer(store, files), registry_now(store)])
