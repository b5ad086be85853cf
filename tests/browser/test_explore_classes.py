"""/explore on a many-to-one class model, in real Chromium: the class probabilities after
every character (the chart and the bars at the cursor) are the API's, the loss is of the label
chosen, scored at the last step, and the page fits a phone and the projector."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_explore import DISPLAYED, open_explore, wait_ready

pytestmark = pytest.mark.browser

NAME = "Kowalski"


def class_trace(api: httpx.Client, text: str, label: str | None = None) -> dict:
    params = {"model": "surnames-gru", "text": text, "analysis": "true", "compact": "true"}
    if label:
        params["label"] = label
    response = api.get("/api/trace", params=params)
    response.raise_for_status()
    return response.json()


def drawn_lines(page: Page) -> dict[str, list[float]]:
    """The class chart's lines as Plotly holds them, by class (the label's name marked)."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelector('#chart-classes .plot').data,
                                               (t) => [t.name, Array.from(t.y)]))"""
    )


def test_the_class_chart_and_bars_are_the_apis(page: Page, api: httpx.Client) -> None:
    open_explore(page, model="surnames-gru", text=NAME, panels="text,predictions,gradients")
    data = class_trace(api, NAME)
    label = data["label"]
    lines = drawn_lines(page)
    assert set(lines) == {c if c != label else f"{c} (label)" for c in data["classes"]}
    for k, name in enumerate(data["classes"]):
        drawn = lines[name if name != label else f"{name} (label)"]
        expected = [row[k] for row in data["probs"]]
        assert drawn == pytest.approx(expected, abs=DISPLAYED["atol"])
    # The loss control names classes, and the generation box is gone: a class model writes
    # no text.
    expect(page.locator("#label-label")).to_be_visible()
    expect(page.locator("#loss-label")).to_be_hidden()
    expect(page.locator("#generate-box")).to_be_hidden()
    page.keyboard.press("End")
    prediction = page.locator("#prediction")
    expect(prediction).to_contain_text(f"the loss is scored here, for “{label}”")
    expect(prediction).to_have_attribute("data-target", label)
    bars = page.locator("#chart-topk")
    expect(bars).to_contain_text(label)
    page.keyboard.press("Home")
    expect(prediction).to_contain_text("not scored until the last step")


def test_choosing_a_label_traces_its_loss(page: Page, api: httpx.Client) -> None:
    open_explore(page, model="surnames-gru", text=NAME, panels="text,predictions,gradients")
    page.select_option("#label", "German")
    wait_ready(page)
    assert "label=German" in page.evaluate("location.search")
    data = class_trace(api, NAME, "German")
    assert data["label"] == "German" and data["label_given"]
    page.keyboard.press("End")
    expect(page.locator("#prediction")).to_contain_text("for “German” (the label chosen)")
    expect(page.locator("#gradients-sentence")).to_contain_text("the loss of class “German”")
    drawn = page.evaluate("JSON.parse(document.getElementById('gradients-sentence').dataset.log10)")
    assert drawn[0] == pytest.approx(data["grads"][0]["h"][-1], abs=1e-9)
    assert "German (label)" in drawn_lines(page)


@pytest.mark.parametrize(
    ("viewport", "present"),
    [({"width": 390, "height": 844}, False), ({"width": 1920, "height": 1080}, True)],
    ids=["phone", "projector"],
)
def test_a_class_model_fits_the_screen(page: Page, viewport: dict, present: bool) -> None:
    page.set_viewport_size(viewport)
    params = {"model": "sentiment-lstm", "focus": "predictions", "panels": "text,predictions"}
    open_explore(page, **params, **({"present": 1} if present else {}))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    chart = page.locator("#chart-classes .plot")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    if present:  # the class chart is on the projected screen, not below it
        assert box["y"] + box["height"] / 2 <= viewport["height"]
