"""Debian's Chromium under Playwright for browser tests: launch it, watch a tab for trouble."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# What a console error must mention to fail a test. Chromium also logs every 4xx answer as an
# error, and some tests are refused on purpose, so only policy refusals count by default.
CSP = ("Content Security Policy",)


def require_chromium() -> None:
    """Skip (fail with CI=true) when Debian's Chromium is not installed."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Headless Chromium, closed on exit."""
    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def watched_tab(
    browser: Browser, *, console_errors: Sequence[str] = CSP, **context_options: object
) -> Iterator[tuple[Page, list[str]]]:
    """A fresh tab and the problems seen in it: script errors, and console errors that mention
    any of `console_errors`. The caller may add its own; any problem fails the test at exit.
    """
    context = browser.new_context(**context_options)  # type: ignore[arg-type]
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on("console", lambda message: _note(problems, message, console_errors))
    yield tab, problems
    context.close()
    assert problems == []


def _note(problems: list[str], message: ConsoleMessage, wanted: Sequence[str]) -> None:
    if message.type == "error" and any(word in message.text for word in wanted):
        problems.append(f"console: {message.text}")
