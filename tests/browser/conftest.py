"""Browser tests: a real server subprocess and real headless Chromium (no `playwright install`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.server_process import running_server

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """A real `unrolled serve` process on a free port for the whole session."""
    with running_server() as server:
        yield server.url


@pytest.fixture(scope="session")
def api(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client on the same server, to fetch the numbers the page should show."""
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync API holds an event loop open on the main thread while it runs, so it
    is stopped after the browser tests: later tests (`asyncio.run`) need the thread free."""
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


class ConsoleWatch:
    """Console errors, page errors and dialogs of one page; a test may allow some errors."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        """Tolerate console errors matching `pattern` (e.g. an expected 422 response)."""
        self.allowed.append(re.compile(pattern))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def page(browser: Browser, base_url: str, console: ConsoleWatch) -> Iterator[Page]:
    """A fresh page at 1280x800; fails the test on any unexpected console or page error."""
    context = browser.new_context(viewport=VIEWPORT, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", console.on_console)
    page.on("pageerror", lambda error: console.errors.append(f"page error: {error}"))

    def on_dialog(dialog) -> None:
        console.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()
    assert console.unexpected() == [], console.unexpected()
    assert console.dialogs == [], f"a dialog opened: {console.dialogs}"


# A page's own stories module, imported under the release URL the page loaded its modules from
# (the same module instances, so present.js's keys are not bound twice).
IMPORT_STORIES = """async (page) => {
  const present = document.querySelector("script[src$='/js/present.js']").src;
  return (await import(new URL(`./${page}/stories.js`, present))).STORIES;
}"""


def page_stories(page: Page, name: str) -> list[dict]:
    """The stories of page `name` ("hello", "gradients", ...) as the page has them."""
    return page.evaluate(IMPORT_STORIES, name)
