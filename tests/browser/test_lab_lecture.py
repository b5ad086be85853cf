"""/lab in the lecture hall (issue 12), in real Chromium against a real server: the stories'
answers are what their seeded runs do, a story moves by keyboard and hides its answer until
the class has chosen, a scene's link gives the state the story reaches, a lecture pace shows a
run slowly (and Skip or Stop end the show), a run worse than chance says so, a run longer
than the server's time limit is flagged before it starts (as the server's own estimate
confirms), the presenter's core view fits a projector's screen and a phone keeps its bars
small."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleWatch
from tests.browser.lecture import STICKY_HEIGHTS
from tests.browser.test_lab import chart_traces, download, open_lab, poll, run_to_end, url_state
from tests.browser.test_layout import CUT_TITLES, PHONE

pytestmark = pytest.mark.browser

# Every scene: what its seeded run must do for the scene's answer to be true, and the
# numbers its explanation states.
SCENES = {
    ("memory", 1): {"reason": "finished", "solved_at": 150, "says": ["update 150"]},
    ("memory", 2): {"reason": "finished", "solved_at": None, "final_percent": 24, "says": ["24 %"]},
    ("memory", 3): {"reason": "finished", "solved_at": 225, "says": ["update 225"]},
    ("exploding", 1): {"reason": "diverged", "diverged_at": 13, "says": ["update 13"]},
    ("exploding", 2): {
        "reason": "finished",
        "solved_at": None,
        "worse_than_chance": True,
        "says": ["300 updates", "above chance"],
    },
    ("exploding", 3): {"reason": "finished", "solved_at": 350, "says": ["update 350"]},
}
SMALL_RUN = {
    "task": "recall",
    "delay": "4",
    "cell": "lstm",
    "hidden_size": "8",
    "steps": "60",
    "probe_every": "10",
    "snapshot_every": "20",
    "seed": "1",
}
OUTSIDE = """() => [...document.querySelectorAll("[data-core]")].flatMap((e) => {
  const r = e.getBoundingClientRect();
  const inside = r.width > 0 && r.top >= 0 && r.left >= 0
    && r.bottom <= innerHeight && r.right <= innerWidth;
  return inside ? [] : [`${e.id || e.className}: ${JSON.stringify(r)}`];
})"""


def open_scene(page: Page, story: str, scene: int, extra: str = "") -> None:
    page.goto(f"/lab?story={story}&scene={scene}{extra}")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    page.wait_for_selector(
        f"body[data-story='{story}'][data-scene='{scene}'][data-story-ready='true']",
        state="attached",
    )


def shown_state(page: Page) -> dict:
    """The page's state apart from where the story is: the URL and every training control."""
    state = {k: v for k, v in url_state(page).items() if k not in {"story", "scene"}}
    controls = page.locator("#train-controls :is(input, select)").evaluate_all(
        "(cs) => cs.map((c) => [c.id, c.value])"
    )
    return {"url": state, "controls": controls, "views": page.locator("#views").is_visible()}


@pytest.mark.parametrize("scene", list(SCENES), ids=lambda s: f"{s[0]}-{s[1]}")
def test_each_scene_answer_is_what_its_run_does(
    page: Page, tmp_path: Path, scene: tuple[str, int]
) -> None:
    expected = SCENES[scene]
    open_scene(page, *scene)
    assert run_to_end(page) == expected["reason"]
    log = json.loads(download(page, "#download-log", tmp_path).read_text())
    events = [(e["event"], e["data"]) for e in log["events"]]
    start = events[0][1]
    done = events[-1][1]
    evals = [d for n, d in events if n == "eval"]
    if "solved_at" in expected:
        solved = next((e["update"] for e in evals if e["solved"]), None)
        assert solved == expected["solved_at"]
    if "final_percent" in expected:
        assert round(100 * done["metric"]) == expected["final_percent"]
        assert done["metric"] > start["task"]["chance"]
    if "diverged_at" in expected:
        assert [d["update"] for n, d in events if n == "diverged"] == [expected["diverged_at"]]
    if expected.get("worse_than_chance"):
        assert done["updates"] == 300 and done["metric"] > start["task"]["chance"]
        expect(page.locator("#run-verdict")).to_contain_text("learned nothing usable")
    else:
        expect(page.locator("#run-verdict")).to_be_hidden()

    # The class answers: the reveal says what the run did.
    expect(page.locator(".story-reveal")).to_have_count(0)
    page.keyboard.press("1")
    reveal = page.locator(".story-reveal")
    expect(reveal).to_be_visible()
    for words in expected["says"]:
        expect(reveal).to_contain_text(words)


def test_a_story_moves_by_keyboard_and_reveals_only_after_a_choice(page: Page) -> None:
    open_lab(page)
    page.locator("button[data-story='memory']").click()
    page.wait_for_selector("body[data-scene='1'][data-story-ready='true']", state="attached")
    state = url_state(page)
    assert (state["story"], state["scene"], state["cell"], state["delay"]) == (
        "memory",
        "1",
        "rnn",
        "5",
    )
    expect(page.locator(".story-narration")).to_contain_text("5 random digits")
    expect(page.locator(".story-reveal")).to_have_count(0)

    page.keyboard.press("PageDown")
    page.wait_for_selector("body[data-scene='2'][data-story-ready='true']", state="attached")
    assert (url_state(page)["scene"], url_state(page)["delay"]) == ("2", "30")
    expect(page.locator(".story-question")).to_contain_text("better than chance")
    expect(page.locator(".story-reveal")).to_have_count(0)
    page.locator(".story-choices button").nth(1).click()
    expect(page.locator(".story-reveal")).to_contain_text("Yes:")
    expect(page.locator(".story-highlight")).to_have_attribute("id", "delay-label")

    page.keyboard.press("PageDown")
    page.wait_for_selector("body[data-scene='3'][data-story-ready='true']", state="attached")
    assert url_state(page)["cell"] == "lstm"
    expect(page.locator(".story-reveal")).to_have_count(0)
    page.keyboard.press("2")  # a wrong answer: the right one is named
    expect(page.locator(".story-reveal")).to_contain_text("No, it is “Yes”")

    page.keyboard.press("PageUp")
    page.wait_for_selector("body[data-scene='2'][data-story-ready='true']", state="attached")
    assert url_state(page)["cell"] == "rnn"


def test_a_scene_link_gives_the_state_the_story_reaches(page: Page) -> None:
    """Through the stories, after a run and a changed control, every scene shows what its
    own link shows (the scene's fields over the page's defaults; nothing leaks)."""
    reached = {}
    open_lab(page, SMALL_RUN)
    assert run_to_end(page) == "finished"
    for story in ("exploding", "memory"):
        page.locator(f"button[data-story='{story}']").click()
        for scene in range(1, 4):
            page.wait_for_selector(
                f"body[data-scene='{scene}'][data-story-ready='true']", state="attached"
            )
            reached[(story, scene)] = shown_state(page)
            page.locator("#hidden_size").fill("7")  # must not leak into the next scene
            page.locator("#hidden_size").blur()
            page.keyboard.press("PageDown")
        page.get_by_role("button", name="Leave the story").click()
    for (story, scene), state in reached.items():
        open_scene(page, story, scene)
        assert shown_state(page) == state, (story, scene)
        assert state["url"]["hidden_size"] == "32" and not state["views"]


def test_a_lecture_pace_shows_the_run_slowly_and_skip_shows_the_rest(
    page: Page, api: httpx.Client
) -> None:
    open_lab(page, {**SMALL_RUN, "steps": "200", "pace": "10"})
    expect(page.locator("#pace")).to_have_value("10")
    with page.expect_event("requestfinished", lambda r: r.url.endswith("/api/train")):
        page.click("#start")
    # The server has sent the whole run; the page is still showing it, update by update.
    shown = int(page.locator("body").get_attribute("data-update") or "0")
    assert page.locator("body").get_attribute("data-run") == "running"
    assert shown < 200
    expect(page.locator("#skip")).to_be_visible()
    expect(page.locator("#run-status")).to_contain_text("left")
    page.click("#skip")
    page.wait_for_selector("body[data-run='finished']", state="attached")
    expect(page.locator("#skip")).to_be_hidden()
    loss = chart_traces(page, "loss-chart")[0]
    assert loss["x"] == list(range(1, 201))
    assert url_state(page)["pace"] == "10"

    # Stop at a lecture pace ends the show where it is.
    page.click("#start")
    shown = poll(page, "Number(document.body.dataset.update)", lambda u: 0 < u < 200)
    assert 0 < shown < 200, "the second run showed no update"
    page.click("#stop")
    page.wait_for_selector("body[data-run='stopped']", state="attached")
    update = int(page.locator("body").get_attribute("data-update") or "0")
    assert update < 200
    assert chart_traces(page, "loss-chart")[0]["x"][-1] == update
    expect(page.locator("#run-status")).to_contain_text(f"stopped at update {update}")


def server_estimate(api: httpx.Client, body: dict) -> float:
    """The start event's estimated_seconds (the run is abandoned right after it)."""
    with api.stream("POST", "/api/train", json=body, timeout=120) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        for line in lines:
            if line == "event: start":
                return json.loads(next(lines).removeprefix("data:"))["estimated_seconds"]
    raise AssertionError("no start event")


def test_a_run_over_the_time_limit_is_flagged_before_it_starts(
    page: Page, api: httpx.Client
) -> None:
    limit = api.get("/api/train/tasks").json()["limits"]["max_seconds"]
    long_run = {
        "task": "recall",
        "delay": 150,
        "cell": "lstm",
        "hidden_size": 128,
        "batch_size": 128,
        "steps": 5000,
        "probe_every": 50,
        "snapshot_every": 50,
    }
    open_lab(page, {k: str(v) for k, v in long_run.items()})
    note = page.locator("#time-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("the server stops a run at 3 min")
    expect(note).to_contain_text("fewer layers")
    assert server_estimate(api, long_run) > limit  # the server agrees

    page.locator("#steps").fill("100")
    page.locator("#hidden_size").fill("16")
    expect(note).to_be_hidden()
    short_run = {**long_run, "steps": 100, "hidden_size": 16}
    assert server_estimate(api, short_run) < limit


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=lambda s: f"{s[0]}px")
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_presenter_core_view_fits_one_screen(
    page: Page, size: tuple[int, int], theme: str
) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_lab(page, {**SMALL_RUN, "present": "1", "theme": theme})
    assert run_to_end(page) == "finished"
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # the charts' relayout to the screen's height
    assert page.locator("[data-core]").count() == 4
    assert page.evaluate(OUTSIDE) == []
    assert page.evaluate(CUT_TITLES) == []
    assert page.locator("#replay-title").is_hidden()  # secondary panels give way


def test_a_phone_keeps_its_bars_small_and_the_probe_titles_whole(
    page: Page, console: ConsoleWatch
) -> None:
    page.set_viewport_size(PHONE)
    open_lab(page, {**SMALL_RUN, "pace": "25", "steps": "200"})
    page.click("#start")
    page.wait_for_selector("body[data-update]", state="attached")
    expect(page.locator("#skip")).to_be_visible()  # the fullest bar: Start, Stop, pace, Skip
    page.locator("#train-mode .run-controls").scroll_into_view_if_needed()
    page.mouse.wheel(0, 300)  # the bar sticks to the top
    for name, height in page.evaluate(STICKY_HEIGHTS):
        assert height <= PHONE["height"] / 5, f"{name} is {height} px tall"
    page.click("#skip")
    page.wait_for_selector("body[data-run='finished']", state="attached")
    widths = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1]
    assert page.evaluate(CUT_TITLES) == []
    title = page.locator("#probe-chart .g-xtitle text").text_content()
    assert title == "step t"
