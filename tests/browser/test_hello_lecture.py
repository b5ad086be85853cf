"""/hello in the lecture hall, in real Chromium: the presenter view's core fits a projector's
and a laptop's screen, the phone's sticky step bar stays small, the stories (forward pass,
backpropagation through time, SGD updates, the LSTM) step by keyboard with their answers
hidden until chosen, every scene's URL shows the same state as reaching it, and the stories'
answers and numbers are the models' own (GET /api/trace, NumPy, POST /api/trace)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import page_stories

pytestmark = pytest.mark.browser

PRESENTER_SCREENS = [(1920, 1080), (1366, 768)]
PHONE = (390, 844)
STATE_FIELDS = ("model", "text", "phase", "step", "lr", "sgd")
SPEC_FIELDS = ("cell", "vocab", "hidden_size", "num_layers", "nonlinearity")
LSTM_BACKWARD = "?model=hello-lstm&phase=backward&step=1"

# Every [data-core] element shown, and the story bar, that reaches past the viewport.
OUTSIDE = """() => [...document.querySelectorAll("[data-core], .story-bar")]
  .filter((e) => e.getClientRects().length > 0)
  .map((e) => [e.id || e.className, e.getBoundingClientRect()])
  .filter(([, r]) => r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight)
  .map(([name, r]) => `${name}: ${Math.round(r.left)},${Math.round(r.top)} to ` +
    `${Math.round(r.right)},${Math.round(r.bottom)}`)"""

# What a scene shows: the state in the body, the step's sentence, the update's losses.
SHOWN = """() => ({
  step: document.body.dataset.step,
  phase: document.body.dataset.phase,
  prediction: document.querySelector("#forward-step").hidden ? null
    : document.querySelector("#prediction").textContent,
  backward: document.querySelector("#backward-step").hidden ? null
    : document.querySelector("#backward-summary").textContent,
  equations: [...document.querySelectorAll("#equations, #backward-equations")]
    .filter((e) => !e.closest("[hidden]")).map((e) => e.textContent).join("|"),
  sgd: document.querySelector("#sgd-result").textContent,
  model: document.querySelector("#model").value,
  lr: document.querySelector("#lr").value,
})"""


def url_state(page: Page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def wait_scene(page: Page) -> None:
    page.wait_for_selector("body[data-story-ready='true']", state="attached")
    page.wait_for_selector("body[data-ready='true']", state="attached")


def open_hello(page: Page, query: str) -> None:
    page.goto(f"/hello{query}")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    if "story=" in query:
        wait_scene(page)


def stories(page: Page) -> list[dict]:
    return page_stories(page, "hello")


def scene_queries(page: Page) -> Iterator[tuple[str, int, dict]]:
    """Every story's scenes: story id, 1-based scene number, scene."""
    for story in stories(page):
        for k, scene in enumerate(story["scenes"], start=1):
            yield story["id"], k, scene


@pytest.fixture
def sized(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page at the size the test is parametrized with (width, height)."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


def backward_trace(api: httpx.Client, model: str, text: str = "hello") -> dict:
    params = {"model": model, "text": text, "backward": "true"}
    response = api.get("/api/trace", params=params)
    response.raise_for_status()
    return response.json()


def sgd_chain(api: httpx.Client, model: str, lr: float, steps: int) -> list[float]:
    """The total loss on "hello" before and after each of `steps` SGD updates, by NumPy here,
    each from the weights the last one left, the gradient from a POST of those weights."""
    detail = api.get(f"/api/models/{model}").json()
    spec = {key: detail[key] for key in SPEC_FIELDS}
    weights = detail["state_dict"]
    trace = backward_trace(api, model)
    losses = [trace["total_loss"]]
    for _ in range(steps):
        grads = trace["weight_grads"]
        weights = {
            name: (np.array(w) - lr * np.array(grads[name]["total"])).tolist()
            for name, w in weights.items()
        }
        response = api.post(
            "/api/trace",
            json={"model": {**spec, "state_dict": weights}, "text": "hello", "backward": True},
        )
        response.raise_for_status()
        trace = response.json()
        losses.append(trace["total_loss"])
    return losses


def four_digits(value: float) -> str:
    """A number as the page and the stories write a loss (JavaScript's toPrecision(4))."""
    return f"{value:#.4g}"


@pytest.mark.parametrize("sized", PRESENTER_SCREENS, indirect=True, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_core_view_fits_the_presenter_screen(sized: Page) -> None:
    """Forward and backward, every scene of every story (its answer shown, too): the diagram,
    the step's equations, the step bar and the story bar inside one screen at scroll 0."""
    page = sized
    open_hello(page, "?present=1")
    assert page.evaluate("document.documentElement.hasAttribute('data-present')")
    assert page.evaluate(OUTSIDE) == []
    for name in ("#diagram", "#equations", "#prediction"):
        expect(page.locator(name)).to_be_visible()
    # The secondary panels give way.
    for name in ("#state-panel", "#output-panel", "#weights-panel", "#time-panel", "#setup"):
        expect(page.locator(name)).to_be_hidden()

    open_hello(page, "?present=1&phase=backward&step=1")
    expect(page.locator("#backward-equations")).to_be_visible()
    assert page.evaluate(OUTSIDE) == []

    for story, k, scene in scene_queries(page):
        open_hello(page, f"?present=1&story={story}&scene={k}")
        page.evaluate("window.scrollTo(0, 0)")
        assert page.evaluate(OUTSIDE) == [], f"{story} scene {k}"
        if scene.get("question"):
            page.keyboard.press("1")
            expect(page.locator(".story-reveal")).to_be_visible()
            assert page.evaluate(OUTSIDE) == [], f"{story} scene {k}, answered"
        if scene["state"].get("sgd"):
            expect(page.locator("#sgd-result .sgd-loss")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("sized", [PHONE], indirect=True, ids=["390x844"])
def test_the_phones_step_bar_is_small_and_nothing_scrolls_sideways(sized: Page) -> None:
    page = sized
    for query in ("?step=2", "?phase=backward&step=1&sgd=2", LSTM_BACKWARD):
        open_hello(page, query)
        bar = page.locator(".step-controls")
        page.evaluate("window.scrollTo(0, document.querySelector('#views').offsetTop)")
        box = bar.bounding_box()
        assert box is not None
        assert box["y"] == pytest.approx(0, abs=1), "the step bar sticks to the top"
        assert box["height"] <= 844 / 5, query
        for name in ("#reset", "#back", "#play", "#forward", "#phase-forward", "#phase-backward"):
            expect(page.locator(name)).to_be_visible()
        expect(bar.locator(".help")).to_be_hidden()
        expect(bar.locator("#trace-json")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, query
        assert_equations_scroll(page, query)


@pytest.mark.parametrize("sized", [(1366, 768)], indirect=True, ids=["1366x768"])
def test_long_equations_scroll_in_their_own_box_on_a_laptop(sized: Page) -> None:
    for query in ("?step=2", "?phase=backward&step=0&sgd=1", LSTM_BACKWARD):
        open_hello(sized, query)
        assert sized.evaluate("document.documentElement.scrollWidth") <= 1366, query
        assert_equations_scroll(sized, query)


def assert_equations_scroll(page: Page, query: str) -> None:
    """Every equation box shown lies inside the page, and one wider than its box scrolls."""
    boxes = page.locator(".equations").evaluate_all(
        """(es) => es.filter((e) => e.getClientRects().length > 0).map((e) => ({
          overflow: getComputedStyle(e).overflowX, right: e.getBoundingClientRect().right,
          wide: e.scrollWidth > e.clientWidth}))"""
    )
    assert boxes, query
    width = page.viewport_size["width"]
    for box in boxes:
        assert box["overflow"] == "auto", query
        assert box["right"] <= width, query


def test_a_story_steps_by_keyboard_and_hides_its_answer_until_chosen(page: Page) -> None:
    page.goto("/hello")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    page.click(".story-picker button[data-story='forward']")
    wait_scene(page)
    assert (url_state(page)["story"], url_state(page)["scene"]) == ("forward", "1")
    assert url_state(page)["step"] == "0"
    expect(page.locator(".story-highlight")).to_have_id("prediction")

    page.keyboard.press("PageDown")
    wait_scene(page)
    assert (url_state(page)["scene"], url_state(page)["step"]) == ("2", "1")
    expect(page.locator(".story-prompt")).to_contain_text("After “hel”")
    expect(page.locator(".story-reveal")).to_have_count(0)
    # The answer is not on the page either: the diagram keeps the outputs ahead of step 1 hidden.
    expect(page.locator(".diagram-step[data-step='2'] .diagram-out")).to_be_hidden()
    expect(page.locator(".diagram-step[data-step='1'] .diagram-out")).to_be_visible()
    page.keyboard.press("3")
    expect(page.locator(".story-reveal")).to_contain_text("Yes")
    expect(page.locator(".story-choices button.right")).to_contain_text("l")

    page.keyboard.press("PageDown")
    wait_scene(page)
    assert (url_state(page)["scene"], url_state(page)["step"]) == ("3", "2")
    expect(page.locator(".story-reveal")).to_have_count(0)
    page.locator(".story-choices button").first.click()
    expect(page.locator(".story-reveal")).to_contain_text("No, it is")

    page.keyboard.press("PageUp")
    wait_scene(page)
    assert (url_state(page)["scene"], url_state(page)["step"]) == ("2", "1")
    # Outside a story, PageDown steps the page again.
    page.click(".story-bar .link-button")
    page.keyboard.press("PageDown")
    page.wait_for_selector("body[data-step='2']", state="attached")
    assert "story" not in url_state(page)


def test_every_scenes_url_shows_the_state_reached_through_the_story(
    browser: Browser, base_url: str, page: Page
) -> None:
    """Walk each story with PageDown in one page; open each scene's URL in a fresh one."""
    fresh_context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base_url)
    fresh = fresh_context.new_page()
    fresh.set_default_timeout(20_000)
    try:
        for story in stories_of(page):
            page.click(f".story-picker button[data-story='{story['id']}']")
            wait_scene(page)
            for k, scene in enumerate(story["scenes"], start=1):
                if k > 1:
                    page.keyboard.press("PageDown")
                    page.wait_for_selector(f"body[data-scene='{k}']", state="attached")
                    wait_scene(page)
                walked = page.evaluate(SHOWN)
                state = url_state(page)
                for field, value in scene["state"].items():
                    assert state[field] == str(value), (story["id"], k, field)
                open_hello(fresh, f"?story={story['id']}&scene={k}")
                assert fresh.evaluate(SHOWN) == walked, (story["id"], k)
                assert {f: url_state(fresh)[f] for f in STATE_FIELDS} == {
                    f: state[f] for f in STATE_FIELDS
                }
            page.click(".story-bar .link-button")
    finally:
        fresh_context.close()


def stories_of(page: Page) -> list[dict]:
    page.goto("/hello")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    return stories(page)


def test_the_stories_answers_and_numbers_are_the_models(page: Page, api: httpx.Client) -> None:
    by_id = {story["id"]: story for story in stories_of(page)}
    trace = backward_trace(api, "hello-rnn")
    predicted = [trace["vocab"][int(np.argmax(p))] for p in trace["probs"]]

    # Forward: after "hel" (step 2) the model predicts "l"; after "hell" not "l" again but "o".
    forward = by_id["forward"]["scenes"]
    question = forward[1]["question"]
    assert question["choices"][question["answer"]] == predicted[2] == "l"
    assert four_digits(max(trace["probs"][2])) in question["explain"]
    again = forward[2]["question"]
    assert again["choices"][again["answer"]].startswith("No") == (predicted[3] != predicted[2])
    assert f"“{predicted[3]}”" in again["explain"]
    assert "“ello”" in forward[4]["narration"] and "".join(predicted[:4]) == "ello"

    # Backward: |dL/dh_0| against |dL/dh_3|, both as the page writes them.
    dh = [float(np.linalg.norm(row)) for row in trace["grads"][0]["dh"]]
    bptt = next(s["question"] for s in by_id["bptt"]["scenes"] if s.get("question"))
    assert bptt["choices"][bptt["answer"]] == ("Smaller" if dh[0] < dh[3] else "Bigger")
    assert four_digits(dh[3]) in bptt["prompt"] and four_digits(dh[0]) in bptt["explain"]
    open_hello(page, "?phase=backward&step=0")
    shown_norm = page.locator(".dh-norm").get_attribute("data-value")
    assert float(shown_norm or "nan") == pytest.approx(dh[0])

    # The update: every loss the narration and the answers quote is the chain's, by NumPy.
    update = by_id["update"]["scenes"]
    small = sgd_chain(api, "hello-rnn", 1.0, 3)
    large = sgd_chain(api, "hello-rnn", 100.0, 2)
    first = update[0]["question"]
    assert (first["choices"][first["answer"]] == "Yes") == (small[1] < small[0])
    assert four_digits(small[0]) in update[1]["narration"]
    assert four_digits(small[1]) in update[1]["narration"]
    assert four_digits(small[3]) in update[2]["narration"]
    assert four_digits(large[1]) in update[3]["narration"]
    second = update[3]["question"]
    assert (second["choices"][second["answer"]] == "No") == (large[2] > large[1])
    assert four_digits(large[2]) in update[4]["narration"]


def test_sgd_steps_chain_and_the_url_reproduces_them(page: Page, api: httpx.Client) -> None:
    open_hello(page, "?phase=backward&step=0&lr=10")
    result = page.locator("#sgd-result")
    apply = page.locator("#sgd-apply")
    expect(apply).to_have_text("Apply one SGD step")
    apply.click()
    expect(result).to_have_attribute("data-steps", "1")
    expect(apply).to_have_text("Apply another SGD step")
    first_after = float(result.get_attribute("data-after") or "nan")
    apply.click()
    expect(result).to_have_attribute("data-steps", "2")
    assert url_state(page)["sgd"] == "2"
    # The second update starts where the first left off.
    assert float(result.get_attribute("data-before") or "nan") == first_after
    chain = sgd_chain(api, "hello-rnn", 10.0, 2)
    history = page.locator(".sgd-history").get_attribute("data-losses")
    np.testing.assert_allclose(json.loads(history or "[]"), chain, rtol=1e-9)

    # The URL alone gives the same updates.
    open_hello(page, "?phase=backward&step=0&lr=10&sgd=2")
    expect(result).to_have_attribute("data-steps", "2")
    assert float(result.get_attribute("data-after") or "nan") == pytest.approx(chain[2], rel=1e-9)
    # A new learning rate starts over from the loaded weights.
    page.fill("#lr", "1")
    expect(result).to_be_empty()
    assert url_state(page)["sgd"] == "0"


def test_forward_hides_the_outputs_ahead_backward_shows_them_all(page: Page) -> None:
    open_hello(page, "?step=1")
    hidden = page.locator(".diagram-out").evaluate_all(
        "(gs) => gs.map((g) => getComputedStyle(g).visibility === 'hidden')"
    )
    assert hidden == [False, False, True, True, True]
    open_hello(page, "?phase=backward&step=3")
    hidden = page.locator(".diagram-out").evaluate_all(
        "(gs) => gs.map((g) => getComputedStyle(g).visibility === 'hidden')"
    )
    assert hidden == [False] * 5
    expect(page.locator("#prediction")).to_be_hidden()
    assert re.search(r"‖∂L/∂h₃‖ = \d", page.locator("#backward-summary").inner_text())


def test_no_tooltip_tells_a_prediction_not_read_yet(page: Page) -> None:
    page.goto("/hello?step=1")
    page.wait_for_selector("body[data-ready='true'][data-step='1']", state="attached")
    tips = page.locator(".diagram-step > title")
    assert [("predicted" in tip) for tip in tips.all_text_contents()] == [1, 1, 0, 0, 0]
    page.goto("/hello?step=4")  # the last step: every prediction read
    page.wait_for_selector("body[data-ready='true'][data-step='4']", state="attached")
    assert all("predicted" in tip for tip in tips.all_text_contents())
