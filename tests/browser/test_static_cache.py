"""Static files in a real browser: a page declares every module it loads (modulepreload), and a
repeat visit takes every static file from the browser's cache, asking the server for none."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser

PAGES = ["/hello", "/explore", "/gradients", "/lab"]
PRELOADED = """() => Array.from(document.querySelectorAll("link[rel=modulepreload]"),
  (link) => new URL(link.href).pathname)"""
# Static files of this visit and the bytes each took over the network (0: from the cache).
STATIC_TRANSFERS = """() => performance.getEntriesByType("resource")
  .filter((entry) => new URL(entry.name).pathname.startsWith("/static/"))
  .map((entry) => [new URL(entry.name).pathname, entry.transferSize])"""


@pytest.mark.parametrize("path", PAGES)
def test_every_module_a_page_loads_is_preloaded(
    page: Page, console: ConsoleWatch, path: str
) -> None:
    modules: list[str] = []

    def record(request: Request) -> None:
        if request.resource_type == "script" and request.url.endswith(".js"):
            modules.append(request.url.split("://", 1)[1].split("/", 1)[1])

    page.on("request", record)
    page.goto(path)
    page.wait_for_selector("body[data-ready='true']", state="attached")
    preloaded = set(page.evaluate(PRELOADED))
    classic = {"js/boot.js", "vendor/plotly/plotly-cartesian.min.js"}
    loaded = {"/" + url for url in modules if not any(url.endswith(c) for c in classic)}
    assert len(loaded) > 10
    assert loaded - preloaded == set()


@pytest.mark.parametrize("path", PAGES)
def test_a_repeat_visit_asks_for_no_static_file(
    page: Page, console: ConsoleWatch, path: str
) -> None:
    page.goto(path)
    page.wait_for_selector("body[data-ready='true']", state="attached")
    first = dict(page.evaluate(STATIC_TRANSFERS))
    assert sum(first.values()) > 400_000  # Plotly's bundle and the modules came over the wire
    page.goto("/")
    page.goto(path)
    page.wait_for_selector("body[data-ready='true']", state="attached")
    again = dict(page.evaluate(STATIC_TRANSFERS))
    assert again.keys() == first.keys()
    assert {name: size for name, size in again.items() if size} == {}
