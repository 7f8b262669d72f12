"""A simulated company's store for report, notebook and dashboard tests, built once per session.

    from tests.support.demo_store import DEMO_PERIOD, demo_store

    @pytest.fixture(scope="session")
    def demo(tmp_path_factory):
        return demo_store(tmp_path_factory)          # (store_path, settings)

14 days ending 2025-03-17 00:00 Moscow time, seed 7, written through the real sync path
(simulate → atsnb.flow.store_simulation → the sync → the calls derived), directories included.  ``DEMO_PERIOD`` is
the custom period covering those days (``start``/``end`` keyword arguments of the reports).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from atsnb.config import Settings

DEMO_DAYS = 14
DEMO_SEED = 7
DEMO_END = "2025-03-17 00:00"
DEMO_PERIOD = {"start": "2025-03-03", "end": "2025-03-16"}

_built: dict[Path, Settings] = {}


def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    """The session's demo store folder and settings pointing at it (built on first use)."""
    from atsnb.flow import store_simulation
    from atsnb.simulate import simulate
    from atsnb.simulate.targets import recordings_folder
    from atsnb.store import Store

    root = tmp_path_factory.getbasetemp() / "demo-store"
    if root not in _built:
        settings = Settings()
        settings.store.path = str(root)
        store = Store.open(root)
        store_simulation(simulate(days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END), store, settings, progress=False)
        settings.recordings.folder = str(recordings_folder(store))
        _built[root] = settings
    return root, _built[root]


def build_report(name: str, demo: tuple[Path, Settings], **filters):
    """Report ``name`` over the demo period of the demo store (``demo`` as :func:`demo_store` gives it)."""
    from atsnb import reports

    path, settings = demo
    return reports.REPORTS[name].build(**DEMO_PERIOD, store=path, settings=settings, **filters)
