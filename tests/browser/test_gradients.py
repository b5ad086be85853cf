"""The /gradients page in real Chromium: every control changes the measured curves, and
the numbers drawn are the ones POST /api/explore returns for the same settings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser

NUMBERS = {"steps", "hidden_size", "seed"}
FLOATS = {"gain", "forget_bias", "clip_norm", "clip_value"}


def wait_ready(page: Page) -> None:
    page.wait_for_selector("body[data-ready='true']", state="attached")


def url_state(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def explore_body(state: dict[str, str]) -> dict:
    """The request the page must have sent for this URL state."""
    body: dict = {
        "cells": state["cells"].split(","),
        "init": state["init"],
        "scale": state["scale"],
        "nonlinearity": state["nonlinearity"],
    }
    body |= {k: int(state[k]) for k in NUMBERS} | {k: float(state[k]) for k in FLOATS}
    body["text"] = state["text"] if state["input"] == "text" else None
    return body


def drawn(page: Page, chart: str) -> list[dict]:
    return page.evaluate(
        f"""Array.from(document.querySelector('#{chart} .plot').data).map(
            t => ({{name: t.name, y: t.y ? Array.from(t.y) : null, z: t.z || null}}))"""
    )


def assert_page_shows(page: Page, api: httpx.Client) -> dict:
    """Every number on the page equals the API's answer for the page's URL state."""
    state = url_state(page)
    response = api.post("/api/explore", json=explore_body(state))
    assert response.status_code == 200, response.text
    data = response.json()
    lines = {t["name"]: t["y"] for t in drawn(page, "gradient-chart")}
    for result in data["results"]:
        name = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[result["cell"]]
        assert lines[name] == result["grad_h"]
        far = page.locator(f"#summary dd[data-cell='{result['cell']}']")
        shown = far.get_attribute("data-far")
        expected = result["grad_h"][-1]
        assert shown == ("null" if expected is None else repr(expected)) or float(shown) == expected
        if expected is None:
            expect(far).to_contain_text("exactly 0")
        row = page.locator(f"#clipping tr[data-cell='{result['cell']}'] td")
        assert float(row.nth(1).get_attribute("data-value") or "nan") == pytest.approx(
            result["clipping"]["norm_after"]
        )
        if result["bound"] is not None:
            assert lines["RNN bound σ_max^d"] == result["bound"]
    assert len(lines) == len(data["results"]) + ("rnn" in state["cells"].split(","))
    return data


def test_controls_presets_and_url(page: Page, api: httpx.Client, console: ConsoleWatch):
    page.goto("/gradients")
    wait_ready(page)
    first = assert_page_shows(page, api)
    assert [r["cell"] for r in first["results"]] == ["rnn", "lstm", "gru"]

    page.locator("#gain").fill("0.5")
    wait_ready(page)
    assert url_state(page)["gain"] == "0.5"
    after = assert_page_shows(page, api)
    assert after["results"][0]["grad_h"][-1] < first["results"][0]["grad_h"][-1] - 10

    page.get_by_label("GRU").uncheck()
    wait_ready(page)
    assert url_state(page)["cells"] == "rnn,lstm"
    assert_page_shows(page, api)

    page.locator("#init").select_option("identity")
    page.locator("#nonlinearity").select_option("relu")
    page.locator("#steps").fill("400")
    wait_ready(page)
    state = url_state(page)
    assert (state["init"], state["nonlinearity"], state["steps"]) == ("identity", "relu", "400")
    assert len(assert_page_shows(page, api)["results"][0]["grad_h"]) == 400

    page.locator("#forget_bias").fill("6")
    page.locator("#input").select_option("text")
    wait_ready(page)
    assert_page_shows(page, api)

    page.get_by_role("button", name="LSTM remembers").click()
    wait_ready(page)
    state = url_state(page)
    assert (state["forget_bias"], state["scale"], state["steps"]) == ("5", "none", "300")
    remembered = assert_page_shows(page, api)
    lstm = next(r for r in remembered["results"] if r["cell"] == "lstm")
    assert lstm["cell_path"] == next(
        t["y"] for t in drawn(page, "cell-path-chart") if t["name"] == "cell path max Π f"
    )

    phase = api.post(
        "/api/explore/phase",
        json={**explore_body(state), "text": None, "steps": 200, "distance": 50},
    ).json()
    assert drawn(page, "phase-chart")[0]["z"] == [r["log10"] for r in phase["results"]]

    # A shared link reproduces the view.
    shared = page.url
    before = drawn(page, "gradient-chart")
    page.goto(shared)
    wait_ready(page)
    assert drawn(page, "gradient-chart") == before

    page.get_by_role("button", name="Exploding, then clipped").click()
    wait_ready(page)
    exploding = assert_page_shows(page, api)
    assert exploding["results"][0]["grad_h"][-1] > 10
    expect(page.locator("#clipping tr[data-cell='rnn']")).to_contain_text("(clipped)")


def test_a_limit_is_named_in_the_page(page: Page, console: ConsoleWatch):
    console.allow("422")
    page.goto("/gradients?steps=5000")
    wait_ready(page)
    expect(page.locator("#error")).to_contain_text("the limit is 1000")
    assert page.locator("body").get_attribute("data-error") == "true"
