"""How fast each page opens on a cold cache, and what a class of 60 pulls over the wifi.

Against a real `unrolled serve` (one worker, default settings), in Chromium: each page opened
in 5 fresh browser contexts (nothing cached), and for each the median of
- first view: navigation start until the page shows its state (`body[data-ready]`);
- click honoured: a control clicked as soon as it is on screen (Playwright clicks the moment
  it is visible and enabled, as an impatient student does), until its effect shows; "dropped"
  when the page ignored the click (5 s later nothing happened);
- bytes: everything transferred (compressed) until the first view, the page included;
and then a repeat visit in the same context: what it transfers again (cached static files
cost nothing). The reference row is the home page (no charts, no model): the ratios say what
each page costs beyond a page of text.

Usage: python benchmarks/page_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import Browser, Error, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.server_process import running_server  # noqa: E402

CLASS_SIZE = 60
# (path, the control a student clicks at once, what shows once the click is honoured)
PAGES = [
    ("/", None, None),
    ("/hello", "#forward", "body[data-step='1']"),
    ("/gradients", ".story-picker button", "body[data-story-ready='true']"),
    ("/explore", ".story-picker button", "body[data-story-ready='true']"),
    ("/lab", ".story-picker button", "body[data-story-ready='true']"),
]
TRANSFERRED = """() => performance.getEntriesByType("navigation")
  .concat(performance.getEntriesByType("resource"))
  .reduce((sum, entry) => sum + entry.transferSize, 0)"""
SINCE_START = "() => performance.now()"
# When the page first showed its state (status.js marks it), or now for the static home page.
READY_AT = "() => performance.getEntriesByName('unrolled:ready')[0]?.startTime ?? performance.now()"


def open_cold(browser: Browser, url: str, path: str, click: str | None, honoured: str | None):
    """One cold visit and one repeat visit: (first view s, click s or None, bytes, repeat bytes)."""
    context = browser.new_context(base_url=url, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(path, wait_until="commit")
    clicked = None
    if click and honoured:
        page.locator(click).first.click()
        try:
            page.wait_for_selector(honoured, state="attached", timeout=5_000)
            clicked = page.evaluate(SINCE_START) / 1000
        except Error:
            clicked = None
    ready = "body[data-ready='true']" if path != "/" else "body"
    page.wait_for_selector(ready, state="attached")
    page.wait_for_load_state("load")
    first_view = page.evaluate(READY_AT) / 1000
    transferred = page.evaluate(TRANSFERRED)
    page.goto(path, wait_until="load")
    page.wait_for_selector(ready, state="attached")
    repeat = page.evaluate(TRANSFERRED)
    context.close()
    return first_view, clicked, transferred, repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with running_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        open_cold(browser, server.url, "/hello", None, None)  # warm the server's caches
        rows = []
        for path, click, honoured in PAGES:
            visits = [open_cold(browser, server.url, path, click, honoured) for _ in range(runs)]
            views = statistics.median(v[0] for v in visits)
            clicks = [v[1] for v in visits if v[1] is not None]
            dropped = sum(v[1] is None for v in visits) if click else 0
            kb = statistics.median(v[2] for v in visits) / 1000
            repeat_kb = statistics.median(v[3] for v in visits) / 1000
            rows.append((path, views, clicks, dropped, kb, repeat_kb))
        browser.close()
    reference_view, reference_kb = rows[0][1], rows[0][4]
    print(f"cold visits, median of {runs} fresh contexts, 1366x768, one worker")
    print(
        f"{'page':<11} {'first view':>10} {'x home':>7} {'click honoured':>15} {'dropped':>8}"
        f" {'KB':>7} {'x home':>7} {'class of 60':>12} {'repeat KB':>10}"
    )
    for path, view, clicks, dropped, kb, repeat_kb in rows:
        click = f"{statistics.median(clicks):.2f} s" if clicks else "—"
        print(
            f"{path:<11} {view:>8.2f} s {view / reference_view:>7.1f} {click:>15}"
            f" {f'{dropped}/{runs}' if path != '/' else '—':>8} {kb:>7.0f}"
            f" {kb / reference_kb:>7.1f} {kb * CLASS_SIZE / 1000:>9.1f} MB {repeat_kb:>10.1f}"
        )


if __name__ == "__main__":
    main()
