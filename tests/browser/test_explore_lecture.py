"""/explore in the lecture hall: the presenter view (the text, the time cursor and one chosen
panel on one screen), a phone's sticky cursor bar, the dark theme, and the guided stories:
driven by the keyboard, complete states whatever the way a scene is reached, and every number a
story states checked against the API, so a story cannot tell the class something the model
does not do."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import ConsoleWatch, page_stories
from tests.browser.lecture import CORE_BOXES, STICKY_HEIGHTS

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENS: list[ViewportSize] = [{"width": 1920, "height": 1080}, {"width": 1366, "height": 768}]
MINUS = "\u2212"

# What a scene shows: the page's own fields, the cursor, the unit, the text and its colours,
# the panels shown and the prediction line.
SNAPSHOT = """() => {
  const own = new URLSearchParams(location.search);
  for (const name of ["story", "scene", "present", "theme"]) own.delete(name);
  own.sort();
  const shown = Array.from(document.querySelectorAll("#views section[data-panel]"))
    .filter((s) => !s.hidden).map((s) => s.dataset.panel);
  const chars = document.querySelectorAll("#text-view .char");
  return {
    fields: own.toString(),
    cursor: document.body.dataset.cursor,
    unit: document.body.dataset.unit,
    text: Array.from(chars, (c) => c.textContent).join(""),
    colours: Array.from(chars, (c) => c.style.backgroundColor),
    shown,
    prediction: document.getElementById("prediction").textContent,
    bestUnits: Array.from(document.querySelectorAll("#units-list .unit-pick.best"),
      (b) => `${b.dataset.series}${b.dataset.unit}`),
  };
}"""


# ---- helpers -------------------------------------------------------------------------------


def wait_scene(page: Page, scene: int) -> None:
    page.wait_for_selector(f"body[data-scene='{scene}'][data-story-ready='true']", state="attached")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)


def open_scene(page: Page, story: str, scene: int, **more: str) -> None:
    page.goto("/explore?" + urlencode({**more, "story": story, "scene": scene}))
    wait_scene(page, scene)


def url_fields(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def stories(page: Page) -> dict[str, dict]:
    """The stories as the page has them (stories.js), by id."""
    found = page_stories(page, "explore")
    return {story["id"]: story for story in found}


def signed(value: float, decimals: int) -> str:
    """A number as the page's formatNumber writes it (a true minus sign)."""
    text = f"{abs(value):.{decimals}f}"
    return f"{MINUS}{text}" if value < 0 and float(text) != 0 else text


def ranked(correlations: dict, feature: str) -> list[tuple[float, str, int, float]]:
    """Units by |r| for a feature over h and c, as the page's Find units ranks them."""
    units = [
        (abs(r), series, unit, r)
        for series in ("h", "c")
        for unit, r in enumerate((correlations.get(series) or {}).get(feature, []))
        if r is not None
    ]
    return sorted(units, key=lambda u: (-u[0], u[2]))


def trace(api: httpx.Client, model: str, text: str) -> dict:
    params = {"model": model, "text": text, "loss": "all", "analysis": "true"}
    response = api.get("/api/trace", params=params)
    response.raise_for_status()
    return response.json()


def sample(api: httpx.Client, model: str) -> str:
    models = {m["id"]: m for m in api.get("/api/models").json()["models"]}
    return models[model]["sample"]


def generated(api: httpx.Client, state: dict) -> dict:
    request = {k: state[k] for k in ("model", "prompt", "length", "temperature")}
    response = api.post("/api/generate", json={**request, "seed": state.get("seed", 0)})
    response.raise_for_status()
    return response.json()


def mean_log_prob(generation: dict) -> float:
    return sum(math.log(step["prob"]) for step in generation["steps"]) / len(generation["steps"])


# ---- the presenter view, phones, the dark theme --------------------------------------------


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}px")
@pytest.mark.parametrize(
    "query",
    [
        "present=1",
        "present=1&theme=dark&model=zen-lstm&focus=states",
        "present=1&story=quote-unit&scene=1",
        "present=1&story=temperature&scene=4",
        "present=1&story=classify&scene=2",
        "present=1&story=forecast&scene=2",
    ],
)
def test_the_core_view_fits_one_screen(
    page: Page, console: ConsoleWatch, screen: ViewportSize, query: str
) -> None:
    page.set_viewport_size(screen)
    page.goto(f"/explore?{query}")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
    if "story=" in query:
        wait_scene(page, int(url_fields(page)["scene"]))
        page.keyboard.press("1")  # the answer shown: the story bar at its tallest
        expect(page.locator(".story-reveal")).to_be_visible()
    boxes = page.evaluate(CORE_BOXES)
    focus = url_fields(page)["focus"]
    # The text, the cursor bar and the chosen panel, nothing else of the panels.
    assert sorted(b["name"] for b in boxes) == sorted(["step-controls", "text", focus])
    assert page.evaluate(SNAPSHOT)["shown"] == ["text", focus]
    for box in boxes:
        inside = box["top"] >= 0 and box["left"] >= 0
        inside = inside and box["bottom"] <= screen["height"] and box["right"] <= screen["width"]
        assert inside, (
            f"{box['name']} leaves the {screen['width']}x{screen['height']} screen: {box}"
        )
    assert page.evaluate("[scrollY, document.documentElement.scrollWidth, innerWidth]")[0] == 0
    expect(page.locator("#setup")).to_be_hidden()
    expect(page.locator("#panel-toggles")).to_be_hidden()


def test_the_presenter_chooses_its_panel_and_f_shows_it(page: Page) -> None:
    page.set_viewport_size(SCREENS[1])
    page.goto("/explore?present=1&model=brackets-lstm")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
    expect(page.locator("section[data-panel='predictions']")).to_be_visible()
    page.select_option("#focus", "gates")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    assert url_fields(page)["focus"] == "gates"
    expect(page.locator("section[data-panel='gates']")).to_be_visible()
    expect(page.locator("section[data-panel='predictions']")).to_be_hidden()
    assert page.evaluate(
        "Array.from(document.querySelectorAll('[data-main-chart]'), (e) => e.dataset.panel)"
    ) == ["gates"]
    page.locator("#cursor-label").click()  # the focus leaves the select: F is the page's
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement !== null")
    assert page.evaluate("document.fullscreenElement.dataset.panel") == "gates"
    page.keyboard.press("f")  # F again leaves
    page.wait_for_function("() => document.fullscreenElement === null")
    # Leaving the presenter view (P) brings back every panel of the URL's list; F still shows
    # the chosen panel, not the first chart of the page (the predictions', above it).
    page.keyboard.press("p")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    assert len(page.evaluate(SNAPSHOT)["shown"]) == 9
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement !== null")
    assert page.evaluate("document.fullscreenElement.dataset.panel") == "gates"


@pytest.mark.parametrize(
    "query", ["", "?model=zen-lstm", "?story=quote-unit&scene=3", "?story=temperature&scene=1"]
)
def test_a_phone_keeps_the_cursor_bar_small(page: Page, console: ConsoleWatch, query: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"/explore{query}")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
    page.evaluate("window.scrollTo(0, document.getElementById('views').offsetTop)")
    widths = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1], f"scrolls sideways: {widths}"
    sticky = page.evaluate(STICKY_HEIGHTS)
    assert sticky, "the cursor bar is no longer sticky"
    for name, height in sticky:
        assert height <= PHONE["height"] / 5, f"{name} takes {height} px of {PHONE['height']}"
    # The step buttons show only their arrows, and keep their names.
    assert page.get_by_role("button", name="Step forward").inner_text().strip() == "▶"


def test_pale_characters_stay_readable_in_the_dark_theme(page: Page) -> None:
    """A character on a pale colour (a unit near 0 is white) is drawn in dark ink, not the
    dark theme's light ink."""
    page.goto("/explore?theme=dark&model=brackets-lstm&unit=14")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
    inks = page.evaluate(
        """() => Array.from(document.querySelectorAll("#text-view .char"), (c) => {
          const [r, g, b] = getComputedStyle(c).backgroundColor.match(/\\d+/g).map(Number);
          return [r + g + b, getComputedStyle(c).color]; })"""
    )
    pale = [ink for total, ink in inks if total > 3 * 200]
    dark = [ink for total, ink in inks if total < 3 * 90]
    assert pale and dark, "the text has no pale or no dark characters to check"
    assert set(pale) == {"rgb(17, 17, 17)"}
    assert set(dark) == {"rgb(255, 255, 255)"}


# ---- stories -------------------------------------------------------------------------------


def test_a_story_moves_by_keyboard_and_hides_answers_until_chosen(
    page: Page, console: ConsoleWatch
) -> None:
    page.goto("/explore")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
    page.click(".story-picker button[data-story='quote-unit']")
    wait_scene(page, 1)
    assert (url_fields(page)["story"], url_fields(page)["scene"]) == ("quote-unit", "1")
    expect(page.locator(".story-question .story-prompt")).to_be_visible()
    expect(page.locator(".story-reveal")).to_have_count(0)
    page.keyboard.press("2")  # a wrong choice: the reveal names the right one
    expect(page.locator(".story-reveal")).to_contain_text("No, it is")
    expect(page.locator(".story-choices button.right")).to_contain_text("1.")

    page.keyboard.press("PageDown")
    wait_scene(page, 2)
    assert url_fields(page)["scene"] == "2"
    expect(page.locator("#units-list tr[data-feature='in_quotes']")).to_have_class(
        "story-highlight"
    )
    page.keyboard.press("PageDown")
    wait_scene(page, 3)
    assert page.evaluate("document.body.dataset.unit") == "h14"
    expect(page.locator(".story-reveal")).to_have_count(0)
    page.click(".story-choices button >> nth=1")
    expect(page.locator(".story-reveal")).to_contain_text("Yes: ")

    page.keyboard.press("PageUp")
    wait_scene(page, 2)
    assert url_fields(page)["scene"] == "2"
    assert page.evaluate("document.body.dataset.unit") == "h0"  # scene 2's own unit, not 3's
    expect(page.locator(".story-reveal")).to_have_count(0)  # scene 2 asks nothing


@pytest.mark.parametrize("story", ["quote-unit", "temperature", "classify", "forecast"])
def test_every_scene_url_gives_the_state_reached_by_the_story(
    page: Page, console: ConsoleWatch, story: str
) -> None:
    """A scene's state is complete: opened directly (even from a URL full of other fields) it
    shows what going through the scenes before it shows."""
    open_scene(page, story, 1)
    scenes = stories(page)[story]["scenes"]
    count = len(scenes)
    walked = [page.evaluate(SNAPSHOT)]
    for scene in range(2, count + 1):
        page.keyboard.press("PageDown")
        wait_scene(page, scene)
        walked.append(page.evaluate(SNAPSHOT))
    for scene, shown in zip(scenes, walked, strict=True):
        fields = parse_qs(shown["fields"], keep_blank_values=True)
        assert {k: fields[k][0] for k in scene["state"]} == {
            k: str(v) for k, v in scene["state"].items()
        }
    junk = {"unit": "3", "layer": "1", "focus": "gates", "temperature": "0.7", "panels": "text"}
    for scene in range(count, 0, -1):
        open_scene(page, story, scene, **junk)
        assert page.evaluate(SNAPSHOT) == walked[scene - 1], f"{story} scene {scene}"


def test_the_quote_story_states_what_the_model_computes(page: Page, api: httpx.Client) -> None:
    open_scene(page, "quote-unit", 2)
    scenes = stories(page)["quote-unit"]["scenes"]
    model = scenes[0]["state"]["model"]
    result = trace(api, model, sample(api, model))
    correlations = result["analysis"]["correlations"][0]
    quotes = ranked(correlations, "in_quotes")
    _, series, unit, r = quotes[0]

    # Scene 1: is there a quote unit? The answer follows the best |r|.
    question = scenes[0]["question"]
    best = abs(r)
    assert question["answer"] == (0 if best > 0.8 else 1 if best > 0.3 else 2)
    assert f"{series} {unit}, has r = {signed(r, 2)}" in question["explain"]
    # Scene 2: the page ranks that unit first.
    assert page.evaluate(SNAPSHOT)["bestUnits"][0] == f"{series}{unit}"
    assert page.locator("#units-list tr[data-feature='in_quotes'] .best").inner_text() == (
        f"Show {series} {unit} (r = {signed(r, 2)})"
    )

    # Scene 3 shows that unit; its question: high or low inside quotes?
    assert (scenes[2]["state"]["unit"], scenes[2]["state"].get("series", "h")) == (unit, series)
    values = [row[unit] for row in result["layers"][0][series]]
    inside = result["analysis"]["features"]["in_quotes"]
    mean_in = sum(v for v, q in zip(values, inside, strict=True) if q) / sum(inside)
    mean_out = sum(v for v, q in zip(values, inside, strict=True) if not q) / (
        len(inside) - sum(inside)
    )
    question = scenes[2]["question"]
    assert f"({signed(r, 2)})" in question["prompt"]
    assert question["answer"] == (1 if mean_in < 0 < mean_out else 0)
    means = f"{signed(mean_in, 2)} inside quotes and +{signed(mean_out, 2)} outside"
    assert means in question["explain"]

    # Scene 4: the cursor is inside a string.
    cursor = scenes[3]["state"]["cursor"]
    assert inside[cursor] == 1 and scenes[3]["state"]["unit"] == unit

    # Scene 5: the bracket depth lives in the cell state.
    depth = ranked(correlations, "bracket_depth")
    _, depth_series, depth_unit, depth_r = depth[0]
    best_h = next(u for u in depth if u[1] == "h")
    state = scenes[4]["state"]
    assert (state["series"], state["unit"]) == (depth_series, depth_unit)
    question = scenes[4]["question"]
    assert question["answer"] == (1 if depth_series == "c" else 0)
    assert f"c {depth_unit} reaches r = {signed(depth_r, 2)}" in question["explain"]
    assert f"(h {best_h[2]}) r = {signed(best_h[3], 2)}" in question["explain"]


def test_the_temperature_story_states_what_the_model_generates(
    page: Page, api: httpx.Client
) -> None:
    open_scene(page, "temperature", 3)
    scenes = stories(page)["temperature"]["scenes"]
    states = [scene["state"] for scene in scenes]
    runs = [generated(api, state) for state in states]
    assert [s["temperature"] for s in states] == [0, 0.5, 1, 2]

    # The page shows the API's generation (scene 3 is open).
    assert page.evaluate(SNAPSHOT)["text"].replace("⏎", "\n") == runs[2]["text"]

    # Scene 1: greedy decoding recites the training text.
    training = sample(api, states[0]["model"])
    recites = training.startswith(runs[0]["text"])
    assert scenes[0]["question"]["answer"] == (0 if recites else 1)
    # Scene 2: temperature 0.5 gives the same text.
    assert scenes[1]["question"]["answer"] == (0 if runs[1]["text"] == runs[0]["text"] else 2)

    # Scene 3: the cursor is on the least likely sampled character, as the narration says.
    steps = runs[2]["steps"]
    least = min(range(len(steps)), key=lambda k: steps[k]["prob"])
    assert states[2]["cursor"] == len(runs[2]["prompt"]) - 1 + least
    step = steps[least]
    narration = scenes[2]["narration"]
    assert f"an “{step['char']}” the model gave p = {step['prob']:.3f}" in narration
    assert f"where it expected “{step['top'][0]['char']}”" in narration
    expect(page.locator("#prediction")).to_contain_text(
        f"sampled “{step['char']}”, p = {step['prob']:.3f} under the model"
    )

    # Scene 4: at temperature 2 the model finds its own text far less likely.
    hot, warm = mean_log_prob(runs[3]), mean_log_prob(runs[2])
    assert scenes[3]["question"]["answer"] == (2 if hot < warm else 0)
    explain = scenes[3]["question"]["explain"]
    assert f"mean log p {signed(hot, 1)} per character, against {signed(warm, 2)}" in explain


def test_the_classifier_story_states_what_the_models_compute(page: Page, api: httpx.Client) -> None:
    """Every answer and number of the classifier story, from the traces of its texts."""
    open_scene(page, "classify", 1)
    scenes = stories(page)["classify"]["scenes"]
    states = [scene["state"] for scene in scenes]
    name = trace(api, "surnames-gru", states[0]["text"])
    classes = name["classes"]

    def best(probs: list[float]) -> tuple[str, float]:
        k = max(range(len(probs)), key=lambda j: probs[j])
        return classes[k], probs[k]

    # Scene 1: the language it finds most likely after "Kow".
    question = scenes[0]["question"]
    language, p = best(name["probs"][states[0]["cursor"]])
    assert question["choices"][question["answer"]] == language
    leader, p_before = best(name["probs"][states[0]["cursor"] - 1])
    assert (
        f"{language}, p = {p:.3f}; after “Ko” {leader} had led (p = {p_before:.3f})"
        in (question["explain"])
    )
    expect(page.locator("#prediction")).to_contain_text(f"is “{language}” (p = {p:.3f})")

    # Scene 2: at the last letter, how sure of Polish (its answer, the scored one)?
    last = states[1]["cursor"]
    assert last == len(states[1]["text"]) - 1 and name["label"] == "Polish"
    p_polish = name["probs"][last][classes.index("Polish")]
    question = scenes[1]["question"]
    assert question["answer"] == (0 if p_polish < 0.5 else 1 if p_polish <= 0.9 else 2)
    before, p_before = best(name["probs"][last - 2])
    assert (
        f"p = {p_polish:.3f}; after “Kowals” it still said {before} (p = {p_before:.3f})"
        in (question["explain"])
    )

    # Scene 3: the gradient that reaches the first letter, against the last letter's.
    first, final = name["grads_input"][0], name["grads_input"][-1]
    question = scenes[2]["question"]
    assert question["answer"] == (0 if first is None else 1 if final - first < 1 else 2)
    assert (
        f"10^{signed(first, 2)} at “K” against 10^{signed(final, 2)} at “i”"
        in (question["explain"])
    )

    # Scenes 4 and 5: the review, before the "but" and at its end.
    review = trace(api, "sentiment-lstm", sample(api, "sentiment-lstm"))
    classes = review["classes"]
    for scene, state in zip(scenes[3:], states[3:], strict=True):
        verdict, p = best(review["probs"][state["cursor"]])
        question = scene["question"]
        assert question["choices"][question["answer"]] == verdict
        assert question["explain"].startswith(f"{verdict}, p = {p:.3f}")
    assert states[4]["cursor"] == len(review["tokens"]) - 1
    assert "".join(review["tokens"][: states[3]["cursor"] + 1]) == "the soup was superb"


def test_an_unknown_story_leaves_the_page_as_its_url_says(
    page: Page, console: ConsoleWatch
) -> None:
    page.goto("/explore?story=no-such-story&scene=2&model=zen-lstm&unit=3")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
    expect(page.locator(".story-picker")).to_be_visible()
    assert page.evaluate("document.body.dataset.unit") == "h3"
    assert page.evaluate(SNAPSHOT)["text"].startswith("Beautiful")
