"""The lecture-hall view controls on every page (boot.js, present.js): the presenter view by key
P, button or URL; dark and light themes (the system's until one is chosen, then remembered); a
page embedded in slides without the site's chrome; the focused chart full screen by key F."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser

PAGES = ["/", "/hello", "/explore", "/gradients", "/lab"]
ROOT_FONT = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
BACKGROUND = "getComputedStyle(document.body).backgroundColor"


def ready(page: Page, path: str) -> None:
    page.goto(path)
    if path != "/" and not path.startswith("/?"):
        page.wait_for_selector("body[data-ready='true']", state="attached")


@pytest.mark.parametrize("path", PAGES)
def test_p_switches_the_presenter_view_and_the_url_keeps_it(
    page: Page, console: ConsoleWatch, path: str
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    ready(page, path)
    normal = page.evaluate(ROOT_FONT)
    button = page.locator("#present-toggle")
    expect(button).to_have_attribute("aria-pressed", "false")
    page.locator("body").press("p")
    expect(page.locator("html[data-present]")).to_have_count(1)
    expect(button).to_have_attribute("aria-pressed", "true")
    assert "present=1" in page.url
    assert page.evaluate(ROOT_FONT) >= 24 > normal  # type for the back row at 1920 px
    # The page's own state changes keep it (UrlState keeps fields it does not own).
    if path == "/hello":
        page.keyboard.press("ArrowRight")
        expect(page.locator("body[data-step='1']")).to_have_count(1)
        assert "present=1" in page.url and "step=1" in page.url
    button.click()
    expect(page.locator("html[data-present]")).to_have_count(0)
    assert "present=" not in page.url


def test_the_presenter_view_opens_from_the_url_and_leaves_readers_notes_out(
    page: Page, console: ConsoleWatch
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    ready(page, "/hello?present=1")
    expect(page.locator("#present-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".lead")).to_be_hidden()


def test_typing_p_in_a_text_field_is_only_typing(page: Page, console: ConsoleWatch) -> None:
    ready(page, "/explore")
    field = page.locator("textarea").first
    field.click()
    field.press("End")
    field.press("p")
    expect(page.locator("html[data-present]")).to_have_count(0)


def luminance(css_colour: str) -> float:
    red, green, blue = (
        int(part) for part in css_colour[css_colour.index("(") + 1 : -1].split(",")[:3]
    )
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.mark.parametrize("path", PAGES)
def test_the_dark_theme_is_dark_and_the_choice_is_remembered(
    page: Page, console: ConsoleWatch, path: str
) -> None:
    ready(page, path)
    assert luminance(page.evaluate(BACKGROUND)) > 0.9
    page.locator("#theme-toggle").click()
    expect(page.locator("html[data-theme='dark']")).to_have_count(1)
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
    assert luminance(page.evaluate(BACKGROUND)) < 0.15
    text = page.evaluate("getComputedStyle(document.querySelector('h1')).color")
    assert luminance(text) > 0.85  # light ink on the dark ground
    ready(page, path)  # another visit: the choice stays
    expect(page.locator("html[data-theme='dark']")).to_have_count(1)


def test_the_systems_dark_preference_is_followed_until_a_theme_is_chosen(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(base_url=base_url, color_scheme="dark")
    page = context.new_page()
    ready(page, "/hello")
    expect(page.locator("html[data-theme='dark']")).to_have_count(1)
    assert luminance(page.evaluate(BACKGROUND)) < 0.15
    page.locator("#theme-toggle").click()
    expect(page.locator("html[data-theme='light']")).to_have_count(1)
    ready(page, "/hello?theme=dark")  # a link's theme wins over the one remembered
    expect(page.locator("html[data-theme='dark']")).to_have_count(1)
    context.close()


@pytest.mark.parametrize("path", ["/hello?embed=1", "/gradients?embed=1"])
def test_an_embedded_page_has_no_site_chrome(page: Page, console: ConsoleWatch, path: str) -> None:
    ready(page, path)
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("h1")).to_be_visible()


def test_f_shows_the_focused_chart_full_screen_and_back(page: Page, console: ConsoleWatch) -> None:
    ready(page, "/gradients")
    chart = page.locator("[data-main-chart], .chart").first
    chart.locator(".plot, svg").first.click(position={"x": 5, "y": 5})
    normal = chart.locator(".plot").first.bounding_box()
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement !== null")
    assert page.evaluate("document.fullscreenElement.id") == chart.get_attribute("id")
    assert normal is not None
    page.wait_for_function(
        "() => document.fullscreenElement?.querySelector('.plot')?.offsetHeight"
        f" > {normal['height'] + 100}"
    )
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement === null")
    page.wait_for_function(
        f"() => document.querySelector('#{chart.get_attribute('id')} .plot').offsetHeight"
        f" <= {normal['height'] + 1}"
    )


def test_a_page_on_this_origin_can_frame_a_demo(page: Page, console: ConsoleWatch) -> None:
    """frame-ancestors 'self' (the default): slides served here may embed a demo."""
    ready(page, "/")
    page.evaluate(
        """() => {
          const frame = document.createElement("iframe");
          frame.src = "/hello?embed=1&step=2";
          frame.width = "900"; frame.height = "600";
          document.body.append(frame);
        }"""
    )
    frame = page.frame_locator("iframe")
    expect(frame.locator("body[data-ready='true'][data-step='2']")).to_have_count(1)
    expect(frame.locator(".site-header")).to_be_hidden()
