"""/gradients in the lecture hall: the presenter view (the main chart and its controls on one
screen), phones, the dark theme, and the guided stories: driven by the keyboard, complete states
whatever the way a scene is reached, "France" marked where the text puts it, and every answer
and number a story states checked against POST /api/explore, so a story cannot tell the class
something the network does not do."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleWatch, page_stories
from tests.browser.lecture import CORE_BOXES, STICKY_HEIGHTS
from tests.browser.test_gradients import assert_page_shows, explore_body, wait_ready

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCREENS = [{"width": 1920, "height": 1080}, {"width": 1366, "height": 768}]
MINUS = "\u2212"
OWN = ("story", "scene", "present", "theme")

# Whether every shown [data-core] element is inside the window at scroll 0.
CORE_INSIDE = """() => Array.from(document.querySelectorAll("[data-core]"))
  .filter((e) => e.offsetParent !== null)
  .every((e) => { const r = e.getBoundingClientRect();
    return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; })"""

# What a scene shows: the page's own URL fields, the main chart's lines and its marked band.
SNAPSHOT = """() => {
  const own = new URLSearchParams(location.search);
  for (const name of ["story", "scene", "present", "theme"]) own.delete(name);
  own.sort();
  const plot = document.querySelector("#gradient-chart .plot");
  return {
    fields: own.toString(),
    lines: Array.from(plot.data, (t) => [t.name, Array.from(t.y)]),
    shapes: (plot.layout.shapes || []).map((s) => [s.x0, s.x1]),
  };
}"""


# ---- helpers -------------------------------------------------------------------------------


def wait_scene(page: Page, scene: int) -> None:
    page.wait_for_selector(f"body[data-scene='{scene}'][data-story-ready='true']", state="attached")
    wait_ready(page)


def url_fields(page: Page) -> dict[str, str]:
    """The query as the page wrote it (history.replaceState; page.url may lag)."""
    query = urlparse(page.evaluate("location.href")).query
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def stories(page: Page) -> dict[str, dict]:
    """The stories as the page has them (stories.js), by id."""
    found = page_stories(page, "gradients")
    return {story["id"]: story for story in found}


def power(log10: float) -> str:
    """10^x as the stories write it: one decimal, a true minus sign."""
    text = f"{abs(log10):.1f}"
    return f"10^{MINUS if log10 < 0 and float(text) != 0 else ''}{text}"


def precision3(value: float) -> str:
    """JavaScript's toPrecision(3), for values between 0.01 and 1000."""
    decimals = max(2 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{decimals}f}"


def mean_ratio(grad_h: list[float]) -> float:
    return 10 ** ((grad_h[-1] - grad_h[0]) / (len(grad_h) - 1))


def france_band(text: str) -> tuple[int, int]:
    """The distances from the loss of France's last and first character: the loss is the
    prediction made at index len(text) - 2, and index t is d = len(text) - 2 - t back."""
    last = len(text) - 2
    start = text.index("France")
    return last - (start + len("France") - 1), last - start


def by_cell(data: dict) -> dict[str, dict]:
    return {r["cell"]: r for r in data["results"]}


def band(value: float, low: float, high: float) -> int:
    """0, 1 or 2: below `low`, between, above `high` (the stories' three-way choices)."""
    return 0 if value < low else 2 if value > high else 1


# Per scene: the index of the true choice and the phrases the reveal must quote, from the
# exploration the page measured for the scene's state.
Truth = Callable[[dict, dict], tuple[int, list[str]]]


def vanishing(data: dict, _: dict) -> tuple[int, list[str]]:
    g = by_cell(data)["rnn"]["grad_h"]
    return int(g[50] < -10), [f"{power(g[50])} at d = 50"]


def saturating(data: dict, _: dict) -> tuple[int, list[str]]:
    rnn = by_cell(data)["rnn"]
    g = rnn["grad_h"]
    assert rnn["blocks"][0]["sigma_max"] == pytest.approx(2.0)  # "not × 2"
    return int(g[-1] < 0), [
        f"× {precision3(mean_ratio(g))} per step",
        f"{power(g[-1])} at d = {len(g) - 1}",
        f"bound reaches {power(rnn['bound'][-1])}",
    ]


def exploding(data: dict, _: dict) -> tuple[int, list[str]]:
    rnn = by_cell(data)["rnn"]
    g = rnn["grad_h"]
    assert abs(g[-1] - rnn["bound"][-1]) < 0.5  # "the bound 1.2^d, met almost exactly"
    ratio = precision3(mean_ratio(g))
    return band(g[-1], -10, 10), [f"{power(g[-1])}, measured × {ratio} per step"]


def clipped(data: dict, _: dict) -> tuple[int, list[str]]:
    clip = by_cell(data)["rnn"]["clipping"]
    assert clip["norm_clipped"] and clip["norm_after"] == pytest.approx(1.0)
    return int(clip["value_cosine"] < 0.99), [
        f"cosine {clip['value_cosine']:.4f}",
        f"{100 * clip['value_clipped_fraction']:.1f} % of the entries",
        f"‖g‖ = {power(clip['log10_norm'])} down to 1",
    ]


def on_the_edge(data: dict, _: dict) -> tuple[int, list[str]]:
    g = by_cell(data)["rnn"]["grad_h"]
    answer = 0 if g[-1] < -10 else 2 if g[-1] > 10 else 1
    if answer == 1:
        assert abs(g[-1] - g[0]) < 1, "neither vanished nor within a factor of 10"
    return answer, [
        f"{power(g[-1])} at d = {len(g) - 1} against {power(g[0])} at the loss",
        f"× {precision3(mean_ratio(g))} per step",
    ]


def carousel(data: dict, _: dict) -> tuple[int, list[str]]:
    cells = by_cell(data)
    rnn, lstm = cells["rnn"]["grad_h"][-1], cells["lstm"]["grad_h"][-1]
    assert rnn < -10  # the prompt: "The RNN's gradient vanishes"
    assert lstm > -2 or lstm < -10, "neither choice is true"
    return int(lstm > -2), [
        f"{power(lstm)}, against the RNN's {power(rnn)}",
        f"Π f is still {power(cells['lstm']['cell_path'][-1])}",
    ]


def carousel_stopped(data: dict, _: dict) -> tuple[int, list[str]]:
    cells = by_cell(data)
    rnn, lstm = cells["rnn"]["grad_h"][-1], cells["lstm"]["grad_h"][-1]
    assert lstm < rnn  # "below even the RNN's"
    return int(lstm < -2), [
        f"{power(lstm)}, below even the RNN's {power(rnn)}",
        f"Π f falls to {power(cells['lstm']['cell_path'][-1])}",
    ]


def france(data: dict, state: dict) -> tuple[int, list[str]]:
    near, far = france_band(state["text"])
    cells = by_cell(data)
    rnn = cells["rnn"]["grad_h"][near : far + 1]
    lstm = cells["lstm"]["grad_h"][near : far + 1]
    classes = {band(v, -4, -2) for v in rnn}
    assert len(classes) == 1, f"the word straddles two choices: {rnn}"
    return 2 - classes.pop(), [
        f"{power(min(rnn))} to {power(max(rnn))} across the word",
        f"LSTM keeps {power(min(lstm))} to {power(max(lstm))}",
    ]


def peephole(data: dict, _: dict) -> tuple[int, list[str]]:
    cells = by_cell(data)
    lstm, peep = cells["lstm"]["grad_h"][-1], cells["peephole"]["grad_h"][-1]
    assert lstm > -2  # "as for the plain LSTM"
    assert peep > -2 or peep < -10, "neither choice is true"
    return int(peep > -2), [
        f"{power(peep)}, against the plain LSTM’s {power(lstm)}",
        f"Π f is still {power(cells['peephole']['cell_path'][-1])}",
    ]


TRUTHS: dict[tuple[str, int], Truth] = {
    ("vanish-explode", 1): vanishing,
    ("vanish-explode", 2): saturating,
    ("vanish-explode", 3): exploding,
    ("vanish-explode", 4): clipped,
    ("vanish-explode", 5): on_the_edge,
    ("lstm-france", 1): carousel,
    ("lstm-france", 2): carousel_stopped,
    ("lstm-france", 3): france,
    ("lstm-france", 4): peephole,
}
SCENES = list(TRUTHS)


# ---- the presenter view, phones, the dark theme --------------------------------------------


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}px")
@pytest.mark.parametrize(
    "query",
    [
        "present=1",
        "present=1&theme=dark&input=text",
        "present=1&story=vanish-explode&scene=2",
        "present=1&story=lstm-france&scene=3",
    ],
)
def test_the_core_view_fits_one_screen(
    page: Page, console: ConsoleWatch, screen: dict[str, int], query: str
) -> None:
    page.set_viewport_size(screen)
    page.goto(f"/gradients?{query}")
    wait_ready(page)
    if "story=" in query:
        wait_scene(page, int(url_fields(page)["scene"]))
        page.keyboard.press("1")  # an answer shown: the story bar at its tallest
        expect(page.locator(".story-reveal")).to_be_visible()
    # The chart fits itself to the bar's new height; if it never does, the boxes say where.
    with contextlib.suppress(Exception):
        page.wait_for_function(CORE_INSIDE, timeout=5_000)
    boxes = page.evaluate(CORE_BOXES)
    assert sorted(b["name"] for b in boxes) == ["controls", "main-chart", "story", "summary"]
    for box in boxes:
        inside = box["top"] >= 0 and box["left"] >= 0
        inside = inside and box["bottom"] <= screen["height"] and box["right"] <= screen["width"]
        assert inside, f"#{box['name']} leaves the {screen['width']}x{screen['height']}: {box}"
    assert page.evaluate("[scrollY, document.documentElement.scrollWidth, innerWidth]")[0] == 0
    widths = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1], f"scrolls sideways: {widths}"
    for secondary in ("#why-title", "#clip-title", "#phase-title"):
        expect(page.locator(secondary)).to_be_hidden()
    # The chart is read from the back row: a plot of a useful height, the curves drawn.
    assert page.locator("#gradient-chart .plot").bounding_box()["height"] >= 220


def test_the_dark_theme_inks_the_charts_light(page: Page, console: ConsoleWatch) -> None:
    page.goto("/gradients?theme=dark&input=text")
    wait_ready(page)
    light = page.evaluate(
        """() => {
          const luminance = (colour) => {
            const [r, g, b] = colour.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
            return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
          };
          const ground = luminance(getComputedStyle(document.body).backgroundColor);
          const ticks = Array.from(
            document.querySelectorAll("#gradient-chart :is(.xtick, .ytick) text"),
            (t) => luminance(getComputedStyle(t).fill));
          const label = document.querySelector("#gradient-chart .annotation rect.bg");
          return {ground, ticks, label: luminance(getComputedStyle(label).fill),
                  summary: luminance(getComputedStyle(document.getElementById("summary")).color)};
        }"""
    )
    assert light["ground"] < 0.15
    assert light["ticks"] and min(light["ticks"]) > 0.7
    assert light["summary"] > 0.7
    assert light["label"] < 0.15, "the marked word's label keeps a white box on the dark chart"


@pytest.mark.parametrize("query", ["", "?input=text", "?story=lstm-france&scene=3"])
def test_a_phone_neither_scrolls_sideways_nor_sticks(
    page: Page, console: ConsoleWatch, query: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"/gradients{query}")
    wait_ready(page)
    for where in (0, "document.getElementById('views').offsetTop"):
        page.evaluate(f"window.scrollTo(0, {where})")
        widths = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert widths[0] <= widths[1], f"scrolls sideways: {widths}"
        for name, height in page.evaluate(STICKY_HEIGHTS):
            assert height <= PHONE["height"] / 5, f"{name} takes {height} px of {PHONE['height']}"
    box = page.locator("#controls").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_f_shows_the_main_chart_full_screen(page: Page, console: ConsoleWatch) -> None:
    page.set_viewport_size(SCREENS[1])
    page.goto("/gradients?present=1")
    wait_ready(page)
    main = page.evaluate("Array.from(document.querySelectorAll('[data-main-chart]'), (e) => e.id)")
    assert main == ["gradient-chart"]
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement !== null")
    assert page.evaluate("document.fullscreenElement.id") == "gradient-chart"
    page.keyboard.press("f")  # F again leaves (Escape is the browser's, not the page's)
    page.wait_for_function("() => document.fullscreenElement === null")


# ---- the stories ---------------------------------------------------------------------------


# Resolves once the page has not scrolled for 200 ms (a smooth scroll has come to rest).
SCROLL_AT_REST = """async () => {
  for (let last = -1; last !== window.scrollY; ) {
    last = window.scrollY;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}"""


def test_a_story_runs_on_the_keyboard_and_hides_its_answers(
    page: Page, console: ConsoleWatch
) -> None:
    page.goto("/gradients")
    wait_ready(page)
    expect(page.locator(".story-picker button[data-story]")).to_have_count(2)
    page.locator(".story-picker button[data-story='vanish-explode']").click()
    wait_scene(page, 1)
    assert (url_fields(page)["story"], url_fields(page)["scene"]) == ("vanish-explode", "1")
    assert url_fields(page)["gain"] == "0.5"
    expect(page.locator(".story-question")).to_contain_text("10^−10")
    expect(page.locator(".story-reveal")).to_have_count(0)
    page.keyboard.press("2")  # a digit chooses
    expect(page.locator(".story-reveal")).to_contain_text("Yes")
    page.keyboard.press("PageDown")
    wait_scene(page, 2)
    assert url_fields(page)["scene"] == "2" and url_fields(page)["hidden_size"] == "8"
    expect(page.locator(".story-highlight")).to_have_attribute("id", "summary")
    expect(page.locator(".story-reveal")).to_have_count(0)
    page.locator(".story-choices button").first.click()  # a click chooses, here wrongly
    expect(page.locator(".story-reveal")).to_contain_text("No, it is “below 1: it vanishes”")
    page.keyboard.press("PageUp")
    wait_scene(page, 1)
    assert url_fields(page)["scene"] == "1" and url_fields(page)["hidden_size"] == "64"
    # The clipping scene shows its panel even in the presenter view, which hides it elsewhere.
    page.keyboard.press("p")
    page.wait_for_selector("html[data-present]", state="attached")
    for scene in (2, 3, 4):  # each scene shown before the next key, as a lecturer clicks
        page.keyboard.press("PageDown")
        wait_scene(page, scene)
    expect(page.locator("#clipping")).to_be_visible()
    expect(page.locator("#phase-title")).to_be_hidden()
    # Under the story bar, so the question and the table it asks about share the screen
    # (once the scene's smooth scroll to its highlight has come to rest).
    page.evaluate(SCROLL_AT_REST)
    table = page.locator("#clipping").bounding_box()
    assert page.locator(".story-bar").bounding_box()["y"] >= 0
    assert table["y"] + table["height"] <= page.viewport_size["height"]


@pytest.mark.parametrize("story", ["vanish-explode", "lstm-france"])
def test_a_scene_is_the_same_however_it_is_reached(
    page: Page, console: ConsoleWatch, story: str
) -> None:
    """Forward with PageDown, back with PageUp, or opened from its link over other settings:
    every scene shows the same fields, curves and marked band."""
    page.goto(f"/gradients?story={story}&scene=1")
    wait_scene(page, 1)
    count = len(stories(page)[story]["scenes"])
    forward = [page.evaluate(SNAPSHOT)]
    for scene in range(2, count + 1):
        page.keyboard.press("PageDown")
        wait_scene(page, scene)
        forward.append(page.evaluate(SNAPSHOT))
    for scene in range(count - 1, 0, -1):
        page.keyboard.press("PageUp")
        wait_scene(page, scene)
        assert page.evaluate(SNAPSHOT) == forward[scene - 1], f"scene {scene} after {scene + 1}"
    assert len({s["fields"] for s in forward}) >= count - 1  # the scenes do move the page
    for scene in range(1, count + 1):
        other = {"gain": "1.7", "seed": "7", "nonlinearity": "relu", "cells": "gru", "steps": "90"}
        page.goto("/gradients?" + urlencode({**other, "story": story, "scene": scene}))
        wait_scene(page, scene)
        assert page.evaluate(SNAPSHOT) == forward[scene - 1], f"scene {scene} opened directly"


@pytest.mark.parametrize(("story", "scene"), SCENES, ids=[f"{s}-{n}" for s, n in SCENES])
def test_a_story_states_what_the_network_does(
    page: Page, api: httpx.Client, console: ConsoleWatch, story: str, scene: int
) -> None:
    """The right choice, and every number the reveal quotes, from the API's exploration of
    the scene's state (the very numbers the page draws)."""
    page.goto(f"/gradients?story={story}&scene={scene}")
    wait_scene(page, scene)
    state = url_fields(page)
    data = assert_page_shows(page, api)
    question = stories(page)[story]["scenes"][scene - 1]["question"]
    answer, quoted = TRUTHS[(story, scene)](data, state)
    choices = question["choices"]
    assert question["answer"] == answer, (
        f"the API says “{choices[answer]}”, the story “{choices[question['answer']]}”"
    )
    for phrase in quoted:
        assert phrase in question["explain"], f"{phrase!r} is not in {question['explain']!r}"
    page.keyboard.press(str(answer + 1))
    expect(page.locator(".story-reveal")).to_contain_text("Yes: ")
    expect(page.locator(".story-reveal")).to_contain_text(quoted[0])


def test_france_is_marked_where_the_text_puts_it(
    page: Page, api: httpx.Client, console: ConsoleWatch
) -> None:
    page.goto("/gradients?story=lstm-france&scene=3")
    wait_scene(page, 3)
    text = url_fields(page)["text"]
    assert text.endswith("fluent F")

    def marked() -> dict:
        return page.evaluate(
            """() => { const layout = document.querySelector("#gradient-chart .plot").layout;
              const labels = layout.annotations.filter((a) => a.name === "marked-word");
              return {shapes: layout.shapes.map((s) => [s.x0, s.x1]),
                      labels: labels.map((a) => a.text)}; }"""
        )

    near, far = france_band(text)
    assert marked() == {"shapes": [[near - 0.5, far + 0.5]], "labels": ["<b>France</b>"]}
    # Another text moves the mark with it; a text without France, or random characters, have
    # no band.
    page.get_by_role("button", name="Leave the story").click()
    moved = "In France I grew up, and after all these years away I still speak French."
    page.locator("#text").fill(moved)
    wait_ready(page)
    near, far = france_band(moved)
    assert marked() == {"shapes": [[near - 0.5, far + 0.5]], "labels": ["<b>France</b>"]}
    assert (near, far) != france_band(text)
    page.locator("#text").fill("I grew up in Paris and I speak fluent French.")
    wait_ready(page)
    assert marked() == {"shapes": [], "labels": []}
    assert_page_shows(page, api)
    page.locator("#text").fill(moved)
    page.locator("#input").select_option("random")
    wait_ready(page)
    assert marked() == {"shapes": [], "labels": []}
    assert explore_body(url_fields(page))["text"] is None
