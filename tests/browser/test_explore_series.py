"""/explore on a series model, in real Chromium: the forecast chart (the series, the one-step
prediction, the free-running forecast) with the API's numbers, the series form, the analysis
panels put away, and the forecast story's every number checked against the API."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_explore import open_explore
from tests.browser.test_explore_lecture import open_scene, stories, url_fields

pytestmark = pytest.mark.browser

MODEL = "series-lstm"
MINUS = "\u2212"


def series_text(api: httpx.Client, kind: str, seed: int = 0, steps: int = 100) -> str:
    params = {"kind": kind, "seed": seed, "length": steps}
    response = api.get("/api/series", params=params)
    response.raise_for_status()
    return response.json()["text"]


def series_trace(api: httpx.Client, text: str, loss: str = "all") -> dict:
    steps = len(text.split(","))
    params = {"model": MODEL, "text": text, "loss": loss, "forecast": steps // 2}
    response = api.get("/api/trace", params=params)
    response.raise_for_status()
    return response.json()


def shown(value: float, decimals: int = 3) -> str:
    """A number as the page's formatNumber writes it (a true minus sign)."""
    text = f"{abs(value):.{decimals}f}"
    return f"{MINUS}{text}" if value < 0 and float(text) != 0 else text


def test_the_forecast_chart_draws_the_apis_numbers(page: Page, api: httpx.Client) -> None:
    open_explore(page, model=MODEL, wave="walk", wave_seed=3, cursor=60)
    assert page.locator("body").get_attribute("data-error") != "true"
    data = series_trace(api, series_text(api, "walk", 3))
    assert page.locator("#text").input_value() == series_text(api, "walk", 3)
    names = page.evaluate(
        "Array.from(document.querySelector('#chart-series .js-plotly-plot').data, (d) => d.name)"
    )
    assert names == ["actual x_t", "one-step prediction", "free running from step 50"]
    drawn = page.evaluate(
        "Array.from(document.querySelector('#chart-series .js-plotly-plot').data, (d) => d.y)"
    )
    values = [row[0] for row in data["values"]]
    np.testing.assert_allclose(drawn[0], values, rtol=0, atol=1e-4)  # compact: display digits
    np.testing.assert_allclose(drawn[1], [row[0] for row in data["logits"]], rtol=0, atol=1e-4)
    np.testing.assert_allclose(
        drawn[2], [row[0] for row in data["forecast"]["values"]], rtol=0, atol=1e-4
    )
    sentence = page.locator("#prediction")
    predicted, actual = data["logits"][60][0], values[61]
    free = data["forecast"]["values"][61 - 50][0]
    expect(sentence).to_contain_text(
        f"reads x_60 = {shown(values[60])} and predicts x_61 = {shown(predicted)}; "
        f"the actual x_61 is {shown(actual)} (squared error {shown(data['loss'][60])})"
    )
    expect(sentence).to_contain_text(f"it forecasts x_61 = {shown(free)}")
    page.keyboard.press("ArrowRight")
    expect(sentence).to_contain_text("Step 61: reads x_61")
    assert page.locator("#equations math[alttext='real input']").count() == 1


def test_the_series_form_generates_and_the_url_keeps_it(page: Page, api: httpx.Client) -> None:
    open_explore(page, model=MODEL)
    expect(page.locator("#series-box")).to_be_visible()
    expect(page.locator("#generate-box")).to_be_hidden()
    page.select_option("#wave", "square")
    page.fill("#wave-steps", "80")
    page.fill("#wave-seed", "5")
    page.fill("#forecast-from", "30")
    page.click("#series-button")
    expect(page.locator("#chart-series .legendtext").nth(2)).to_have_text(
        "free running from step 30"
    )
    page.wait_for_selector("body[data-ready='true']", state="attached")
    fields = url_fields(page)
    assert (fields["wave"], fields["steps"], fields["wave_seed"], fields["forecast"]) == (
        "square",
        "80",
        "5",
        "30",
    )
    assert page.locator("#text").input_value() == series_text(api, "square", 5, 80)
    for panel in ("connectivity", "units", "saturation"):
        expect(page.locator(f"section[data-panel='{panel}']")).to_be_hidden()


def test_a_series_fits_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_explore(page, model=MODEL, wave="sine")
    expect(page.locator("#chart-series")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_forecast_story_states_what_the_model_computes(page: Page, api: httpx.Client) -> None:
    """Every answer and number of the forecast story, from the traces of its series."""
    open_scene(page, "forecast", 1)
    scenes = stories(page)["forecast"]["scenes"]
    states = [scene["state"] for scene in scenes]
    walk = series_trace(api, series_text(api, "walk", states[0]["wave_seed"]))
    x = np.array(walk["values"])[:, 0]
    one_step = float(np.mean((np.array(walk["logits"])[:-1, 0] - x[1:]) ** 2))
    persistence = float(np.mean((x[:-1] - x[1:]) ** 2))

    # Scene 1: one step, against x_{t+1} = x_t.
    question = scenes[0]["question"]
    assert question["answer"] == (
        0 if one_step < persistence / 5 else 1 if one_step < persistence else 2
    )
    assert f"{one_step:.3f} per step against {persistence:.3f}" in question["explain"]
    expect(page.locator("#chart-series")).to_be_visible()

    # Scene 2: free running from step 50, against one step.
    start = walk["forecast"]["start"]
    free = float(np.mean((np.array(walk["forecast"]["values"])[:, 0] - x[start:]) ** 2))
    question = scenes[1]["question"]
    assert start == 50 and question["answer"] == (1 if free > 2 * one_step else 0)
    assert f"{free:.3f} per step against {one_step:.3f}" in question["explain"]

    # Scene 3: the sine, free running.
    sine = series_trace(api, series_text(api, "sine"))
    s = np.array(sine["values"])[:, 0]
    sine_one = float(np.mean((np.array(sine["logits"])[:-1, 0] - s[1:]) ** 2))
    sine_free = float(np.mean((np.array(sine["forecast"]["values"])[:, 0] - s[50:]) ** 2))
    question = scenes[2]["question"]
    assert question["answer"] == (0 if sine_free < 2 * sine_one else 1)
    assert f"{sine_free:.3f} per step free running, against {sine_one:.3f}" in question["explain"]

    # Scene 4: the last prediction's loss, back to x_0.
    last = series_trace(api, series_text(api, "walk", states[3]["wave_seed"]), loss="last")
    first, final = last["grads_input"][0], last["grads_input"][98]
    question = scenes[3]["question"]
    assert last["grads_input"][99] is None  # the last step has no target: exactly zero
    assert question["answer"] == (1 if final - first >= 6 else 0)
    assert (
        f"10^{shown(first, 2)} at step 0 against 10^{shown(final, 2)} at step 98"
        in (question["explain"])
    )
    open_scene(page, "forecast", 4)
    assert url_fields(page)["loss"] == "last"
    expect(page.locator("#gradients-sentence")).to_contain_text("squared-error loss over the last")
