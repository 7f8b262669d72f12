"""Fixtures shared by every test: a real MariaDB server and a fresh database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.browser import chromium
from tests.support.mariadb import Server, find_or_start


@pytest.fixture(scope="session")
def mariadb() -> Iterator[Server]:
    """The MariaDB server for this test session (the running one, or a throwaway)."""
    server, throwaway = find_or_start()
    try:
        yield server
    finally:
        if throwaway is not None:
            throwaway.stop()


@pytest.fixture
def pbx_db(mariadb: Server) -> Iterator[tuple[Server, str]]:
    """A database of its own for one test, dropped afterwards: ``(server, database_name)``."""
    name = f"atsnb_test_{uuid.uuid4().hex[:12]}"
    con = mariadb.connect()
    con.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield mariadb, name
    finally:
        con.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        con.close()


@pytest.fixture(autouse=True)
def default_language(monkeypatch):
    """Every test starts in the default language (Russian) and leaves no language behind."""
    from atsnb import i18n

    monkeypatch.delenv("ATSNB_UI_LANGUAGE", raising=False)
    i18n._language = None
    yield
    i18n._language = None


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The session's demo store: (folder, settings), simulated once (tests/support/demo_store.py)."""
    from tests.support.demo_store import demo_store

    return demo_store(tmp_path_factory)


@pytest.fixture
def store_path(tmp_path):
    """An empty embedded store folder."""
    return tmp_path / "store"


@pytest.fixture(scope="session")
def browser():
    """The session's one Chromium (tests/support/browser.py says why one)."""
    with chromium() as launched:
        yield launched
