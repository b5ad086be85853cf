"""The /gradients page in real Chromium: every control changes the measured curves, and
the numbers drawn are the ones POST /api/explore returns for the same settings."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser

NUMBERS = {"steps", "hidden_size", "seed"}
FLOATS = {"gain", "forget_bias", "clip_norm", "clip_value"}
CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "peephole": "Peephole LSTM"}
BOUND = "RNN bound σ<sub>max</sub><sup>d</sup>"


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


def phase_body(state: dict[str, str]) -> dict:
    """The phase sweep the page must have asked for: random characters, its own gains."""
    body = explore_body(state)
    for name in ("gain", "clip_norm", "clip_value"):
        del body[name]
    return body | {"text": None, "steps": 200, "distance": int(state["distance"])}


def drawn(page: Page, chart: str) -> list[dict]:
    return page.evaluate(
        f"""Array.from(document.querySelector('#{chart} .plot').data).map(
            t => ({{name: t.name, y: t.y ? Array.from(t.y) : null, z: t.z || null}}))"""
    )


def clipping_shown(page: Page) -> dict[str, list[str | None]]:
    """The clipping table's exact values (data-value) per cell."""
    return page.evaluate(
        """Object.fromEntries(Array.from(document.querySelectorAll('#clipping tr[data-cell]'))
            .map(tr => [tr.dataset.cell, Array.from(tr.querySelectorAll('td'))
                                              .map(td => td.dataset.value ?? null)]))"""
    )


def assert_page_shows(page: Page, api: httpx.Client) -> dict:
    """Every number on the page equals the API's answer for the page's URL state."""
    state = url_state(page)
    response = api.post("/api/explore", json=explore_body(state))
    assert response.status_code == 200, response.text
    data = response.json()
    lines = {t["name"]: t["y"] for t in drawn(page, "gradient-chart")}
    zero_lines = 0
    for result in data["results"]:
        name = CELL_NAMES[result["cell"]]
        assert lines[name] == result["grad_h"]
        far = page.locator(f"#summary dd[data-cell='{result['cell']}']")
        shown = far.get_attribute("data-far")
        expected = result["grad_h"][-1]
        assert shown == ("null" if expected is None else repr(expected)) or float(shown) == expected
        if expected is None:
            expect(far).to_contain_text("exactly 0")
        if None in result["grad_h"]:  # exact zeros are marked, where the curve has no value
            zero_lines += 1
            marked = lines[f"{name} exactly 0"]
            assert [v is not None for v in marked] == [v is None for v in result["grad_h"]]
        clip = result["clipping"]
        row = clipping_shown(page)[result["cell"]]
        assert float(row[1] or "nan") == pytest.approx(clip["norm_after"])
        assert float(row[3] or "nan") == pytest.approx(clip["value_norm_after"])
        if result["bound"] is not None:
            assert lines[BOUND] == result["bound"]
        if result["cell"] == "rnn":
            factors = next(t["y"] for t in drawn(page, "jacobian-chart") if "diag" in t["name"])
            expected_factors = [0.0 if v is None else 10**v for v in result["jacobian"]["log10"]]
            assert factors == pytest.approx(expected_factors, rel=1e-12)
        if result["cell"] == "lstm":
            paths = {t["name"]: t["y"] for t in drawn(page, "cell-path-chart")}
            assert paths["cell path max Π f"] == result["cell_path"]
            assert paths["‖∂L/∂c<sub>t</sub>‖"] == result["grad_c"]
    expected_lines = len(data["results"]) + ("rnn" in state["cells"].split(",")) + zero_lines
    assert len(lines) == expected_lines
    return data


def play_scene(page: Page, story: str, scene: int) -> None:
    """Start a lecture story from the picker and step to its scene (1-based) with PageDown."""
    page.locator(f".story-picker button[data-story='{story}']").click()
    for _ in range(scene - 1):
        page.wait_for_selector("body[data-story-ready='true']", state="attached")
        page.keyboard.press("PageDown")
    page.wait_for_selector(f"body[data-scene='{scene}'][data-story-ready='true']", state="attached")
    wait_ready(page)


def assert_phase_shows(page: Page, api: httpx.Client) -> list:
    phase = api.post("/api/explore/phase", json=phase_body(url_state(page))).json()
    z = [r["log10"] for r in phase["results"]]
    assert drawn(page, "phase-chart")[0]["z"] == z
    return z


def test_controls_stories_and_url(page: Page, api: httpx.Client, console: ConsoleWatch):
    page.goto("/gradients")
    wait_ready(page)
    first = assert_page_shows(page, api)
    assert [r["cell"] for r in first["results"]] == ["rnn", "lstm", "gru"]
    assert_phase_shows(page, api)

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

    play_scene(page, "lstm-france", 1)  # the LSTM's constant error carousel
    state = url_state(page)
    assert (state["forget_bias"], state["scale"], state["steps"]) == ("5", "none", "300")
    assert_page_shows(page, api)
    assert_phase_shows(page, api)

    # A shared link reproduces the view.
    shared = page.url
    before = drawn(page, "gradient-chart")
    page.goto(shared)
    wait_ready(page)
    assert drawn(page, "gradient-chart") == before

    page.get_by_role("button", name="Leave the story").click()
    play_scene(page, "vanish-explode", 4)  # exploding, then clipped
    exploding = assert_page_shows(page, api)
    assert exploding["results"][0]["grad_h"][-1] > 10
    expect(page.locator("#clipping tr[data-cell='rnn']")).to_contain_text("(clipped)")


def change_number(selector: str, value: str) -> Callable[[Page], None]:
    return lambda page: page.locator(selector).fill(value)


def choose(selector: str, value: str) -> Callable[[Page], None]:
    return lambda page: page.locator(selector).select_option(value)


@pytest.mark.parametrize(
    ("control", "act", "field", "value", "moves"),
    [
        ("hidden size", choose("#hidden_size", "16"), "hidden_size", "16", "curves"),
        ("seed", change_number("#seed", "7"), "seed", "7", "curves"),
        ("scale", choose("#scale", "radius"), "scale", "radius", "curves"),
        ("init", choose("#init", "orthogonal"), "init", "orthogonal", "curves"),
        ("T", change_number("#steps", "120"), "steps", "120", "curves"),
        ("forget bias", change_number("#forget_bias", "-2"), "forget_bias", "-2", "lstm"),
        ("nonlinearity", choose("#nonlinearity", "relu"), "nonlinearity", "relu", "rnn"),
        ("norm clip", change_number("#clip_norm", "100"), "clip_norm", "100", "clipping"),
        ("element clip", change_number("#clip_value", "0.001"), "clip_value", "0.001", "clipping"),
        ("distance k", change_number("#distance", "20"), "distance", "20", "phase"),
    ],
)
def test_each_control_redraws_what_it_moves(
    page: Page, api: httpx.Client, console: ConsoleWatch, control, act, field, value, moves
):
    page.goto("/gradients?steps=150&hidden_size=32&gain=0.9")
    wait_ready(page)
    before = assert_page_shows(page, api)
    phase_before = assert_phase_shows(page, api)
    clipping_before = clipping_shown(page)
    act(page)
    wait_ready(page)
    assert url_state(page)[field] == value, control
    after = assert_page_shows(page, api)
    phase_after = assert_phase_shows(page, api)
    grads = {r["cell"]: r["grad_h"] for r in after["results"]}
    old = {r["cell"]: r["grad_h"] for r in before["results"]}
    if moves == "curves":
        assert all(grads[cell] != old[cell] for cell in grads), control
    elif moves in ("rnn", "lstm"):  # only that cell's curve depends on this setting
        assert [cell for cell in grads if grads[cell] != old[cell]] == [moves], control
    elif moves == "clipping":
        assert grads == old and clipping_shown(page) != clipping_before, control
    elif moves == "phase":
        assert grads == old and phase_after != phase_before, control


def test_a_drag_ends_on_its_last_position(page: Page, api: httpx.Client, console: ConsoleWatch):
    """No debounce, no lost input: many positions in a burst, the page settles on the last."""
    page.goto("/gradients?steps=200")
    wait_ready(page)
    page.evaluate(
        """() => {
            const slider = document.getElementById("gain");
            for (let k = 0; k <= 20; k++) {
                slider.value = String(0.5 + 0.05 * k);
                slider.dispatchEvent(new Event("input", {bubbles: true}));
            }
        }"""
    )
    wait_ready(page)
    assert url_state(page)["gain"] == "1.5"
    expect(page.locator("#gain-out")).to_have_text("1.50")
    data = assert_page_shows(page, api)
    rnn = data["results"][0]
    assert rnn["blocks"][0]["sigma_max"] == pytest.approx(1.5)


def test_vanishing_far_below_float64_is_drawn_not_zero(
    page: Page, api: httpx.Client, console: ConsoleWatch
):
    """RNN, sigma_max 0.5, T=1000: the curve reaches its true ~10^-308, on a log axis whose
    ticks say so, and no point of it is a zero."""
    page.goto("/gradients?cells=rnn&steps=1000&init=orthogonal&scale=sigma&gain=0.5")
    wait_ready(page)
    data = assert_page_shows(page, api)
    grad = data["results"][0]["grad_h"]
    assert all(v is not None for v in grad) and grad[-1] < -300
    low = page.evaluate(
        "document.querySelector('#gradient-chart .plot')._fullLayout.yaxis.range[0]"
    )
    assert low < grad[-1]
    ticks = page.locator("#gradient-chart .ytick text").all_text_contents()
    assert "10−300" in [t.replace("\u200b", "") for t in ticks]  # Plotly pads <sup> with ZWSP
    far = page.locator("#summary dd[data-cell='rnn'] sup")
    expect(far).to_have_text(f"−{abs(grad[-1]):.1f}")


def test_exact_zeros_are_said_so(page: Page, api: httpx.Client, console: ConsoleWatch):
    """Identity init, ReLU, gain 0.3: the RNN's gradient dies exactly; the chart marks it,
    the summary and the phase diagram say so instead of drawing a tiny number."""
    page.goto("/gradients?cells=rnn,lstm&init=identity&scale=sigma&gain=0.3&nonlinearity=relu")
    wait_ready(page)
    data = assert_page_shows(page, api)
    assert data["results"][0]["grad_h"][-1] is None
    expect(page.locator("#summary dd[data-cell='rnn']")).to_contain_text("exactly 0")
    z = assert_phase_shows(page, api)
    assert None in z[0], "the RNN row has exact zeros at small gains"
    assert "−∞" in page.locator("#phase-chart .plot").inner_text()


def test_a_limit_is_named_in_the_page(page: Page, console: ConsoleWatch):
    console.allow("422")
    page.goto("/gradients?steps=5000")
    wait_ready(page)
    expect(page.locator("#error")).to_contain_text("the limit is 1000")
    assert page.locator("body").get_attribute("data-error") == "true"


def test_a_validation_message_names_its_field(
    page: Page, api: httpx.Client, console: ConsoleWatch
) -> None:
    """FastAPI's own messages do not say which field they are about; the page adds it."""
    console.allow("422")
    answer = api.post("/api/explore", json={"cells": ["rnn"], "seed": -1})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["body", "seed"] and not detail["msg"].startswith("seed")
    page.goto("/gradients?seed=-1")
    wait_ready(page)
    expect(page.locator("#error")).to_have_text(f"seed: {detail['msg']}")
    expect(page.locator("#error")).to_have_attribute("data-field", "seed")


def test_the_measured_factor_stands_beside_the_bound(
    page: Page, api: httpx.Client, console: ConsoleWatch
):
    """The default RNN's ‖diag(f′)W_hh‖₂ is about 1, yet its gradient shrinks about ×0.5 per
    step: the page shows the measured ratio ‖∂L/∂h_{t−1}‖/‖∂L/∂h_t‖ (each step and the
    geometric mean) next to the bound, and says why they differ."""
    page.goto("/gradients")
    wait_ready(page)
    data = assert_page_shows(page, api)
    for result in data["results"]:
        g = result["grad_h"]
        mean = 10 ** ((g[-1] - g[0]) / (len(g) - 1))
        shown = page.locator(f"#summary dd[data-cell='{result['cell']}'] .step-ratio")
        assert float(shown.get_attribute("data-mean-ratio") or "nan") == pytest.approx(mean)
        expect(shown).to_contain_text(f"× {mean:.3}")
    rnn = data["results"][0]
    g = rnn["grad_h"]
    lines = {t["name"]: t["y"] for t in drawn(page, "jacobian-chart")}
    assert lines["measured, each step"] == pytest.approx(
        [10 ** (g[d + 1] - g[d]) for d in range(len(g) - 1)], rel=1e-12
    )
    mean = 10 ** ((g[-1] - g[0]) / (len(g) - 1))
    assert lines["measured, geometric mean"] == pytest.approx([mean, mean])
    factors = [10**v for v in rnn["jacobian"]["log10"]]
    assert mean < 0.7 < min(factors), "the default RNN: a factor near 1, a gradient halving"
    gap = page.locator("#factor-gap")
    expect(gap).to_be_visible()
    expect(gap).to_contain_text(f"× {mean:.3}")
    expect(gap).to_contain_text(f"between × {min(factors):.3} and × {max(factors):.3}")
    expect(gap).to_contain_text("worst case over all directions")

    page.get_by_label("RNN", exact=True).uncheck()
    wait_ready(page)
    expect(gap).to_be_hidden()


def test_the_axis_follows_the_curves_and_the_bound_leaves_it(
    page: Page, api: httpx.Client, console: ConsoleWatch
):
    """Gain 2, tanh, T = 1000: the bound σ_max^d reaches 10^300; the y axis stays on the
    measured curves, and a note marks where the bound leaves it and how far it goes."""
    page.goto("/gradients?gain=2&nonlinearity=tanh&steps=1000")
    wait_ready(page)
    data = assert_page_shows(page, api)
    bound = data["results"][0]["bound"]
    assert bound[-1] > 300
    measured = [v for r in data["results"] for v in r["grad_h"] if v is not None]
    low, high = page.evaluate(
        "document.querySelector('#gradient-chart .plot')._fullLayout.yaxis.range"
    )
    assert low <= min(measured) and max(measured) <= high < max(measured) + (high - low) / 4
    notes = page.evaluate("document.querySelector('#gradient-chart .plot').layout.annotations")
    assert len(notes) == 1
    assert notes[0]["text"] == (
        f"bound leaves the chart:<br>10<sup>{bound[-1]:.0f}</sup> at distance {len(bound) - 1}"
    )
    exit_at = next(d for d, v in enumerate(bound) if v > high)
    assert notes[0]["y"] == high and exit_at - 1 <= notes[0]["x"] <= exit_at
    expect(page.locator("#gradient-chart .annotation-text")).to_contain_text(
        "bound leaves the chart"
    )

    page.locator("#gain").fill("0.9")  # the bound stays on the chart: no note
    wait_ready(page)
    assert page.evaluate("document.querySelector('#gradient-chart .plot').layout.annotations") == []
