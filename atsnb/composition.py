"""The composition root: one :class:`Context`, built once from the settings, from which every
command, page and notebook takes what it needs.

It holds the settings, the store (and through it the directories), the report registry, the
delivery channels and a clock.  Nothing below it loads the configuration or opens the store on
its own: the layers are handed these by the context, so a test, a dashboard kernel and a mailing
run all see one configuration, and a clock can be set for reproducible "today"s.

>>> ctx = atsnb.context()                         # the configured settings (ATSNB_CONFIG, ATSNB_*)
>>> ctx.report("employees", "last_30_days", department="Отдел продаж")
>>> ctx.load_calls("2025-03-01", "2025-04-01", direction="incoming")
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from atsnb.calls import reading
from atsnb.calls.audit import Audit, audit_period
from atsnb.calls.classify import CALL_COLUMNS
from atsnb.calls.evidence import CallRoute
from atsnb.calls.reading import TimeLike
from atsnb.config import Settings, load_settings
from atsnb.delivery.channels import CHANNELS, Channel, ChannelRegistry, Happenings, Message
from atsnb.i18n import set_language
from atsnb.reports.model import Report
from atsnb.reports.period import period_range
from atsnb.reports.registry import REPORTS, ReportRegistry
from atsnb.reports.scope import FilterError, require_calls, require_store_at
from atsnb.store import Catalog, Store
from atsnb.sync import SyncReport

if TYPE_CHECKING:  # widgets: loaded only by the pages that show them
    from atsnb.directory.editor import DirectoryEditor
    from atsnb.recordings.library import RecordingLibrary
    from atsnb.views.app import DashboardPage
    from atsnb.views.settings_page import SettingsPage

Clock = Callable[[], pd.Timestamp]


class Context:
    """Settings, store, registries and clock of one atsnb installation (or test).

    The store is opened on first use: ``atsnb config`` or ``atsnb check`` create no store folder."""

    def __init__(self, settings: Settings, store: Store | None = None, *, reports: ReportRegistry = REPORTS,
                 channels: ChannelRegistry = CHANNELS, clock: Clock | None = None):
        self.settings = settings
        self.reports = reports
        self.channels = channels
        self.clock = clock  # None: the real time
        self._store = store
        self._channels: dict[str, Channel] = {}

    @classmethod
    def from_settings(cls, settings: Settings, *, store: Store | str | os.PathLike[str] | None = None,
                      clock: Clock | None = None, reports: ReportRegistry = REPORTS,
                      channels: ChannelRegistry = CHANNELS) -> Context:
        """The context of ``settings``; their ``ui.language`` becomes the language of every text.
        ``store``: a store or its folder instead of the settings' ``store.path`` (the caller's
        settings are left as they are)."""
        set_language(settings.ui.language)
        if store is not None and not isinstance(store, Store):
            settings = dataclasses.replace(settings, store=dataclasses.replace(settings.store, path=os.fspath(store)))
            store = None
        return cls(settings, store, reports=reports, channels=channels, clock=clock)

    @classmethod
    def load(cls, config: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None,
             **overrides: object) -> Context:
        """The context of the configuration: the TOML file (``config`` or ``ATSNB_CONFIG``), then
        the ``ATSNB_*`` variables; the one place the configuration is read."""
        settings = load_settings(config, dict(env) if env is not None else None)
        return cls.from_settings(settings, **overrides)  # type: ignore[arg-type]

    @property
    def store(self) -> Store:
        """The store of the settings (``store.path``), or the one the context was given."""
        if self._store is None:
            self._store = Store.open(self.settings.store_path)
        return self._store

    def reading_store(self) -> Store:
        """The store to read figures from, or a clear error — never a new, empty store — when the
        configured folder holds none (a notebook run without ``store`` on a machine whose default
        path is empty) or holds no calls yet."""
        if self._store is None:
            require_store_at(self.settings.store_path)
        require_calls(self.store)
        return self.store

    @property
    def recordings(self) -> RecordingLibrary:
        """The calls' recordings (``recordings.folder`` or ``recordings.base_url``); a simulated
        store renders the recordings it left for later when they are asked for."""
        from atsnb.recordings.library import RecordingLibrary
        from atsnb.simulate import render_recording

        store = self.store
        return RecordingLibrary(self.settings, store, render=lambda name: render_recording(store, name))

    @property
    def directories(self) -> Catalog:
        """The directories (employees, lines, departments, …) and the store's state."""
        return self.store.catalog

    def now(self) -> pd.Timestamp:
        """The current moment in the PBX's zone, by the context's clock."""
        now = self.clock() if self.clock else pd.Timestamp.now(tz=self.settings.tz)
        return now.tz_convert(self.settings.tz) if now.tzinfo else now.tz_localize(self.settings.tz)

    # -- reading ---------------------------------------------------------------------------------
    def report(self, name: str, period: str = "last_30_days", **filters: object) -> Report:
        """The report ``name`` (see :data:`atsnb.reports.REPORTS`) for a period and the filters its
        entry declares (an unset filter may be given as None)."""
        spec = self.reports[name]
        unknown = sorted(k for k, v in filters.items() if v is not None and k not in spec.filters and k != "now")
        if unknown:
            raise FilterError(f"The report {name!r} takes no filter {', '.join(unknown)} "
                              f"(it takes {', '.join(spec.filters)}).")
        given = {k: v for k, v in filters.items() if v is not None}
        given.setdefault("now", self.now())
        return spec.build(period, store=self.reading_store(), settings=self.settings, **given)

    def load_calls(self, start: TimeLike, end: TimeLike, **filters: object) -> pd.DataFrame:
        """One row per call that started in [start, end), filtered by column values."""
        return reading.load_calls(start, end, store=self.reading_store(), settings=self.settings, **filters)

    def find_calls(self, **search: object) -> pd.DataFrame:
        """The calls matching a search, every argument optional (none: every call in the store), one
        row per call with the columns of :func:`load_calls`, in start order:
        ``number`` (any part, any spelling), ``partner`` (name or part of it), ``employee``,
        ``department``, ``line``, ``direction``, ``status``, ``start`` / ``end``, ``talk_over`` /
        ``wait_over`` (seconds), ``recording`` (True / False) — see docs/records.md."""
        from atsnb.calls.search import criteria
        from atsnb.calls.search import search as search_calls

        store = self.reading_store()
        found = search_calls(store, self.settings, criteria(store, self.settings, **search),  # type: ignore[arg-type]
                             columns=CALL_COLUMNS)
        return found.all("start", descending=False)

    def route(self, call_id: str | None = None, *, number: str | None = None, around: object = None,
              raw: bool = True) -> CallRoute:
        """One call — by id, or the call with ``number`` nearest the time ``around`` — with its route:
        ``.steps`` (the frame), ``.text`` (readable), ``.call`` (its row) and ``.raw`` (its CDR,
        CEL and queue_log rows; not read with ``raw=False``)."""
        from atsnb.reports.records import open_call

        return open_call(call_id, number=number, around=around, raw=raw, store=self.reading_store(),
                         settings=self.settings)

    def audit(self, period: str = "last_30_days", *, start: object = None, end: object = None) -> Audit:
        """The data-quality audit of a period, as the reports take it (docs/data-quality.md): how
        many raw records became how many calls, what was merged, repaired or skipped, and which
        answers rest on CDR alone."""
        lo, hi = period_range(period, start=start, end=end, tz=self.settings.tz, now=self.now())
        return audit_period(self.reading_store(), self.settings, lo, hi)

    # -- bringing data in ------------------------------------------------------------------------
    def sync(self, *, progress: bool = False) -> SyncReport:
        """One incremental sync from the PBX, the calls derived, then the channels told."""
        from atsnb.flow import sync_pbx

        report = sync_pbx(self.settings, store=self.store, progress=progress)
        if report.calls and report.calls_since is not None:
            self.deliver(Happenings(now=self.now(), calls_since=report.calls_since.tz_localize(
                self.settings.tz, ambiguous=True, nonexistent="shift_forward")))
        return report

    # -- delivery --------------------------------------------------------------------------------
    def channel(self, name: str) -> Channel:
        """The channel ``name``, configured from this context's settings and store (built once)."""
        if name not in self._channels:
            self._channels[name] = self.channels[name](self.settings, self.store)
        return self._channels[name]

    def deliver(self, happenings: Happenings | None = None) -> dict[str, list[Message]]:
        """Tell every registered channel what happened; what each sent."""
        happenings = happenings or Happenings(now=self.now())
        return {name: self.channel(name).deliver(happenings) for name in self.channels}

    # -- pages -----------------------------------------------------------------------------------
    def dashboard(self, name: str) -> DashboardPage:
        """The Voila page of the report ``name`` (the widget libraries load only here); the records
        page has a search, paging and the call view of its own (:mod:`atsnb.views.pages`)."""
        from atsnb.views.pages import dashboard_page

        return dashboard_page(self.reports[name], settings=self.settings, store=self.store,  # type: ignore[return-value]
                              recordings=lambda: self.recordings)

    def directory_editor(self) -> DirectoryEditor:
        """The directories editor page."""
        from atsnb.delivery.mail_panel import MailingsPanel
        from atsnb.directory.editor import DirectoryEditor

        return DirectoryEditor(self.store, panels={"mailings": lambda: MailingsPanel(self.channel("mail")).widget},
                               tz=self.settings.tz)

    def settings_page(self, env: Mapping[str, str] | None = None) -> SettingsPage:
        """The settings page (administrators): the settings file ``atsnb serve`` was started with and
        the settings its environment locks (``ATSNB_SETTINGS_FILE``, ``ATSNB_LOCKED_KEYS``), this
        context's settings standing for the locked values; docs/settings.md."""
        from atsnb.delivery.settings_checks import check_bot_token, send_test_mail
        from atsnb.settings_file import FILE_VARIABLE, LOCKED_VARIABLE, decode_locked
        from atsnb.views.settings_page import SettingsPage

        env = os.environ if env is None else env
        return SettingsPage(env.get(FILE_VARIABLE) or None, locked=decode_locked(env.get(LOCKED_VARIABLE, "")),
                            environment=self.settings, store=lambda: self.store,
                            recordings=lambda: self.recordings,
                            send_test_mail=lambda settings, to: send_test_mail(settings.smtp, to),
                            check_bot_token=lambda settings, token: check_bot_token(settings.telegram, token))


def context(config: str | os.PathLike[str] | Path | None = None, **overrides: object) -> Context:
    """The context of the configured installation (:meth:`Context.load`)."""
    return Context.load(config, **overrides)


def report(name: str, period: str = "last_30_days", **filters: object) -> Report:
    """A report of the configured installation: ``atsnb.report("employees", "this_month")``."""
    return context().report(name, period, **filters)


def load_calls(start: TimeLike, end: TimeLike, **filters: object) -> pd.DataFrame:
    """Calls of the configured installation: ``atsnb.load_calls("2025-07-01", "2025-08-01", direction="incoming")``."""
    return context().load_calls(start, end, **filters)


def find_calls(**search: object) -> pd.DataFrame:
    """Calls of the configured installation matching a search:
    ``atsnb.find_calls(number="916 123", status="unanswered", start="2025-07-01")``."""
    return context().find_calls(**search)


def route(call_id: str | None = None, *, number: str | None = None, around: object = None,
          raw: bool = True) -> CallRoute:
    """One call's route in the configured installation: ``atsnb.route("1733900000.42")``."""
    return context().route(call_id, number=number, around=around, raw=raw)
