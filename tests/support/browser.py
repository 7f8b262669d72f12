"""Debian's Chromium under Playwright, one per test session.

Playwright's synchronous API runs its own event loop in the test's thread: a second
``sync_playwright()`` while the first is alive fails ("using Playwright Sync API inside the asyncio
loop"), so every browser test shares the session's browser (the ``browser`` fixture in
``tests/conftest.py``) and opens contexts of its own."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, sync_playwright

T = TypeVar("T")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium from Debian's package (``playwright install`` is not used)."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Chromium is not installed: the browser tests need Debian's chromium package "
                    "(apt-get install chromium).")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: while the session's browser lives, Playwright's
    sync API keeps an event loop running in the test's thread, where ``asyncio.run`` refuses to
    start another."""
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coroutine).result()
