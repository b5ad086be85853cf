"""Every page in real Chromium at a phone's, a laptop's and a projector's width: nothing makes
the page scroll sideways, no id is used twice, no chart's axis title or note is cut at the
figure's edge, and a long error message wraps inside its box."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SIZES = [PHONE, {"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]
PAGES = ["/", "/hello", "/explore", "/gradients", "/lab", "/docs"]
# Views the plain URLs do not show: LSTM panels, the bound leaving the chart, the other tab.
MORE_VIEWS = [
    "/hello?model=hello-lstm",
    "/explore?model=zen-lstm",
    "/gradients?gain=2&nonlinearity=tanh",
    "/lab?mode=compare",
]

DUPLICATE_IDS = """() => {
  const ids = Array.from(document.querySelectorAll("[id]"), (e) => e.id);
  return [...new Set(ids.filter((id, k) => ids.indexOf(id) !== k))];
}"""

# Axis titles and annotations of every visible Plotly chart that reach past its SVG (cut off).
CUT_TITLES = """() => Array.from(document.querySelectorAll(".js-plotly-plot"))
  .filter((plot) => plot.offsetParent !== null)
  .flatMap((plot) => {
    const box = plot.querySelector(".main-svg").getBoundingClientRect();
    return Array.from(plot.querySelectorAll(".g-xtitle text, .g-ytitle text, .annotation-text"))
      .filter((text) => {
        const r = text.getBoundingClientRect();
        return r.left < box.left - 1 || r.right > box.right + 1
          || r.top < box.top - 1 || r.bottom > box.bottom + 1;
      })
      .map((text) => `${plot.closest("figure").id}: ${text.textContent}`);
  })"""


def open_page(page: Page, path: str, size: dict[str, int]) -> None:
    """Open `path` at `size` and wait until it shows its state (/ and /docs have no script
    that says so: / is static, /docs is ready once Swagger UI has drawn the API)."""
    page.set_viewport_size(size)
    page.goto(path)
    if path.startswith("/docs"):
        page.wait_for_selector("#swagger-ui .opblock", state="attached")
    elif path != "/":
        page.wait_for_selector("body[data-ready='true']", state="attached")


def assert_fits(page: Page, where: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (
        f"{where} scrolls sideways: {widths[0]} px in a {widths[1]} px window"
    )
    assert page.evaluate(DUPLICATE_IDS) == [], f"{where} has duplicate ids"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}px")
@pytest.mark.parametrize("path", PAGES + MORE_VIEWS)
def test_no_sideways_scrolling_and_unique_ids(
    page: Page, console: ConsoleWatch, path: str, size: dict[str, int]
) -> None:
    open_page(page, path, size)
    assert_fits(page, f"{path} at {size['width']} px")
    assert page.evaluate(CUT_TITLES) == [], f"{path} at {size['width']} px"


def test_the_lab_views_fit_a_phone_after_a_run(page: Page, console: ConsoleWatch) -> None:
    """The training views (hidden until a run) fit too: charts, replay and model actions.
    (Their axis titles are not checked here: "step t of the probe sequence" is wider than a
    phone's chart; lab/charts.js is to shorten it.)"""
    settings = {
        "task": "recall",
        "delay": "3",
        "cell": "lstm",
        "hidden_size": "8",
        "steps": "30",
        "probe_every": "10",
        "snapshot_every": "10",
        "seed": "1",
    }
    open_page(page, f"/lab?{urlencode(settings)}", PHONE)
    page.click("#start")
    page.wait_for_selector(
        "body[data-run]:not([data-run='running'])", state="attached", timeout=120_000
    )
    expect(page.locator("#views")).to_be_visible()
    page.wait_for_selector("body[data-ready='true']", state="attached")
    assert_fits(page, "/lab after a run at 390 px")


def test_docs_links_back_to_the_app(page: Page, console: ConsoleWatch) -> None:
    open_page(page, "/docs", PHONE)
    page.get_by_role("link", name="Unrolled", exact=True).click()
    page.wait_for_url("**/")
    expect(page.locator("h1")).to_have_text("Unrolled")


@pytest.mark.parametrize("path", ["/hello", "/explore", "/gradients", "/lab"])
def test_a_long_error_wraps_inside_its_box(page: Page, console: ConsoleWatch, path: str) -> None:
    """A message listing a whole vocabulary (['\\n', ' ', '!', …], 93 characters), or one
    unbroken run of characters, wraps inside the error box on a phone."""
    open_page(page, path, PHONE)
    vocabulary = ", ".join(repr(chr(c)) for c in range(33, 126))
    for message in (f"text has character(s) ['é'] not in the vocabulary [{vocabulary}]", "x" * 400):
        page.evaluate(
            """(message) => { const box = document.querySelector(".error");
                box.textContent = message; box.hidden = false; }""",
            message,
        )
        inside = page.evaluate(
            """() => { const box = document.querySelector(".error");
                return box.scrollWidth <= box.clientWidth
                  && box.getBoundingClientRect().right <= innerWidth; }"""
        )
        assert inside, f"{path}: the message overflows its box"
        assert_fits(page, f"{path} with a long error")


def test_the_current_step_outline_shows_on_every_colour(page: Page, console: ConsoleWatch) -> None:
    """/hello's heatmaps mark the current column black inside white, colours no scale ends in
    (an orange mark vanished on the orange end of PuOr)."""
    open_page(page, "/hello?step=2", SIZES[1])
    for figure in ("chart-w-xh", "chart-h-time"):
        shapes = page.evaluate(
            f"document.querySelector('#{figure} .plot').layout.shapes.map(s => s.line.color)"
        )
        assert [c.lower() for c in shapes] == ["#ffffff", "#111111"], figure
