"""The /hello page in real Chromium: every number and chart it shows is checked against
GET /api/trace (and /api/models/{id}) fetched directly from the same server."""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import REPO_ROOT, ConsoleWatch

pytestmark = pytest.mark.browser

SCREENSHOT = REPO_ROOT / "docs" / "hello.png"
XSS = "<img src=x onerror=alert(1)>"

# Count Plotly.newPlot / Plotly.react calls per chart: a figure is created once, then reacted.
COUNT_PLOTLY_CALLS = """
window.__plotlyCalls = {newPlot: {}, react: {}};
Object.defineProperty(window, "Plotly", {
  configurable: true,
  get() { return window.__plotly; },
  set(plotly) {
    for (const name of ["newPlot", "react"]) {
      const original = plotly[name];
      plotly[name] = function (gd, ...rest) {
        const id = gd.closest("figure").id;
        window.__plotlyCalls[name][id] = (window.__plotlyCalls[name][id] || 0) + 1;
        return original.call(this, gd, ...rest);
      };
    }
    window.__plotly = plotly;
  },
});
"""


def wait_ready(page: Page) -> None:
    page.wait_for_selector("body[data-ready='true']", state="attached")


def open_hello(page: Page, query: str = "") -> None:
    page.add_init_script(COUNT_PLOTLY_CALLS)
    page.goto(f"/hello{query}")
    wait_ready(page)


def fetch_trace(api: httpx.Client, model: str, text: str) -> dict:
    response = api.get("/api/trace", params={"model": model, "text": text, "projections": "true"})
    response.raise_for_status()
    return response.json()


def close(actual: list, expected: list) -> bool:
    pairs = zip(actual, expected, strict=False)
    return len(actual) == len(expected) and all(
        math.isclose(a, e, rel_tol=1e-12, abs_tol=1e-12) for a, e in pairs
    )


def chart_data(page: Page, chart_id: str) -> list[dict]:
    """The traces Plotly is drawing in a chart (`gd.data`)."""
    return page.evaluate(
        "(id) => document.querySelector(`#${id} .plot`).data"
        ".map((t) => ({name: t.name, x: t.x, y: t.y, z: t.z}))",
        chart_id,
    )


def equation_vector(page: Page, name: str) -> list[float]:
    """The full-precision numbers of a column vector in the MathML equations."""
    return page.evaluate(
        "(name) => JSON.parse(document.querySelector("
        "`#equations mtable[data-name='${name}']`).getAttribute('data-values'))",
        name,
    )


def url_state(page: Page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def assert_view(
    page: Page, api: httpx.Client, model: str, text: str, step: int, notation: str = "cs231n"
) -> None:
    """Everything the page shows at this step equals what the API returns."""
    trace = fetch_trace(api, model, text)
    layer = trace["layers"][0]
    hidden = trace["hidden_size"]

    assert page.evaluate("document.body.dataset.step") == str(step)
    assert page.evaluate("document.body.dataset.phase") == "forward"
    expected_state = {
        "model": model,
        "text": text,
        "phase": "forward",
        "step": str(step),
        "notation": notation,
        "lr": "1",
        "sgd": "0",
    }
    assert url_state(page) == expected_state
    expect(page.locator("#step-label")).to_contain_text(f"t = {step} of {len(text) - 1}")
    assert page.locator(".diagram-step").count() == len(text)
    assert page.locator(".diagram-step.current").get_attribute("data-step") == str(step)
    assert page.locator("#scrubber").input_value() == str(step)
    download = urlparse(page.locator("#trace-json").get_attribute("href") or "")
    assert download.path == "/api/trace"
    assert parse_qs(download.query)["model"] == [model]
    assert parse_qs(download.query)["text"] == [text]

    # Charts: what Plotly draws is the trace, at full precision.
    assert close(chart_data(page, "chart-h")[0]["y"], layer["h"][step])
    assert close(chart_data(page, "chart-logits")[0]["y"], trace["logits"][step])
    assert close(chart_data(page, "chart-probs")[0]["y"], trace["probs"][step])
    one_hot = [1 if ch == text[step] else 0 for ch in trace["vocab"]]
    assert chart_data(page, "chart-x")[0]["y"] == one_hot
    over_time = chart_data(page, "chart-h-time")[0]["z"]
    assert all(close([row[t] for row in over_time], layer["h"][t]) for t in range(len(text)))

    # The data table alternative holds the same numbers (it is filled when opened).
    table_details = page.locator("#chart-h details")
    if table_details.get_attribute("open") is None:
        table_details.locator("summary").click()
    # The table is filled by the details' toggle event, a task after the click.
    expect(page.locator("#chart-h table td")).to_have_count(hidden)
    cells = page.locator("#chart-h table td").evaluate_all(
        "(tds) => tds.map((td) => td.dataset.value)"
    )
    assert close([float(v) for v in cells], layer["h"][step])

    # Equations (MathML) with this step's numbers.
    assert page.evaluate(
        "[...document.querySelectorAll('#equations > *')].every("
        "(m) => m.namespaceURI === 'http://www.w3.org/1998/Math/MathML')"
    )
    assert close(equation_vector(page, "h_t"), layer["h"][step])
    assert equation_vector(page, "x_t") == one_hot
    previous = layer["h"][step - 1] if step > 0 else [0.0] * hidden
    assert close(equation_vector(page, "h_prev"), previous)
    if trace["cell"] == "rnn":
        assert close(equation_vector(page, "input_proj"), layer["input_proj"][step])
        assert close(equation_vector(page, "hidden_proj"), layer["hidden_proj"][step])
    for gate, values in layer["gates"].items():
        assert close(equation_vector(page, f"{gate}_t"), values[step])
    if trace["cell"] == "lstm":
        assert close(equation_vector(page, "c_t"), layer["c"][step])
        assert close(chart_data(page, "chart-c")[0]["y"], layer["c"][step])
    if trace["cell"] != "rnn":
        gates = {t["name"]: t["y"] for t in chart_data(page, "chart-gates")}
        assert list(gates) == list(layer["gates"])
        assert all(close(gates[g], layer["gates"][g][step]) for g in gates)
    expect(page.locator("#chart-c")).to_be_visible(visible=trace["cell"] == "lstm")
    expect(page.locator("#chart-gates")).to_be_visible(visible=trace["cell"] != "rnn")

    # Prediction (argmax) against the target.
    probs = trace["probs"][step]
    predicted = trace["vocab"][probs.index(max(probs))]
    prediction = page.locator("#prediction")
    assert prediction.get_attribute("data-predicted") == predicted
    assert prediction.get_attribute("data-target") == (trace["targets"][step] or "")
    verdict = (
        "no target"
        if trace["targets"][step] is None
        else "correct"
        if predicted == trace["targets"][step]
        else "wrong"
    )
    expect(prediction).to_contain_text(verdict)

    # Weights: the model's own matrices; x_t's column of W_xh is outlined.
    weights = api.get(f"/api/models/{model}").json()["state_dict"]
    assert chart_data(page, "chart-w-xh")[0]["z"] == weights["weight_ih_l0"]
    assert chart_data(page, "chart-w-hh")[0]["z"] == weights["weight_hh_l0"]
    assert chart_data(page, "chart-w-hy")[0]["z"] == weights["readout.weight"]
    outlined = page.evaluate("document.querySelector('#chart-w-xh .plot').layout.shapes[0].x0")
    assert outlined == trace["vocab"].index(text[step]) - 0.5


def assert_charts_created_once(page: Page) -> None:
    """Each chart had exactly one Plotly.newPlot; every later change went through react."""
    calls = page.evaluate("window.__plotlyCalls")
    assert calls["newPlot"] and all(count == 1 for count in calls["newPlot"].values()), calls


def step_with(page: Page, action) -> None:
    action()
    wait_ready(page)


def test_steps_with_buttons_keys_and_scrubber(page: Page, api: httpx.Client) -> None:
    open_hello(page)
    assert_view(page, api, "hello-rnn", "hello", 0)
    expect(page.locator("#back")).to_be_disabled()

    step_with(page, lambda: page.click("#forward"))
    assert_view(page, api, "hello-rnn", "hello", 1)
    step_with(page, lambda: page.keyboard.press("ArrowRight"))
    assert_view(page, api, "hello-rnn", "hello", 2)
    step_with(page, lambda: page.click("#back"))
    assert_view(page, api, "hello-rnn", "hello", 1)
    step_with(page, lambda: page.keyboard.press("ArrowLeft"))
    assert_view(page, api, "hello-rnn", "hello", 0)

    step_with(page, lambda: page.locator("#scrubber").fill("4"))
    assert_view(page, api, "hello-rnn", "hello", 4)
    expect(page.locator("#forward")).to_be_enabled()  # on into the backward pass
    step_with(page, lambda: page.click("#reset"))
    assert_view(page, api, "hello-rnn", "hello", 0)
    page.evaluate("window.scrollTo(0, 0)")
    step_with(page, lambda: page.locator(".diagram-step[data-step='3'] .diagram-cell").click())
    assert_view(page, api, "hello-rnn", "hello", 3)
    assert_charts_created_once(page)


def test_a_clickers_keys_and_home_end_step(page: Page, api: httpx.Client) -> None:
    """A presenter's clicker sends PageDown and PageUp; Home and End go to the ends of the
    forward pass then the backward one."""
    open_hello(page)
    step_with(page, lambda: page.keyboard.press("PageDown"))
    assert_view(page, api, "hello-rnn", "hello", 1)
    step_with(page, lambda: page.keyboard.press("End"))  # the end: the backward pass at t = 0
    assert url_state(page)["phase"] == "backward"
    assert url_state(page)["step"] == "0"
    expect(page.locator("#forward")).to_be_disabled()
    for _ in range(4):  # back through the backward pass, to its first step (t = 4)
        step_with(page, lambda: page.keyboard.press("PageUp"))
    assert (url_state(page)["phase"], url_state(page)["step"]) == ("backward", "4")
    step_with(page, lambda: page.keyboard.press("PageUp"))
    assert_view(page, api, "hello-rnn", "hello", 4)
    step_with(page, lambda: page.keyboard.press("PageUp"))
    assert_view(page, api, "hello-rnn", "hello", 3)
    step_with(page, lambda: page.keyboard.press("Home"))
    assert_view(page, api, "hello-rnn", "hello", 0)
    expect(page.locator("#reset")).to_be_disabled()


def test_arrow_keys_do_not_step_while_typing(page: Page) -> None:
    open_hello(page)
    page.focus("#text")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.body.dataset.step") == "0"
    assert page.input_value("#text") == "hello"


def test_play_pause_and_play_to_the_end(page: Page, api: httpx.Client) -> None:
    open_hello(page)
    page.click("#play")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("() => Number(document.body.dataset.step) >= 1")
    page.click("#play")  # pause
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    wait_ready(page)
    paused_at = int(page.evaluate("document.body.dataset.step"))
    assert_view(page, api, "hello-rnn", "hello", paused_at)

    page.keyboard.press(" ")  # space plays again, forward then backward, and stops at the end
    page.wait_for_function(
        "() => document.body.dataset.phase === 'backward' && document.body.dataset.step === '0'"
        " && document.body.dataset.playing === 'false'",
        timeout=30_000,
    )
    wait_ready(page)
    step_with(page, lambda: page.click("#phase-forward"))
    assert_view(page, api, "hello-rnn", "hello", 0)
    assert_charts_created_once(page)


def test_switch_models(page: Page, api: httpx.Client) -> None:
    open_hello(page, "?step=2")
    assert_view(page, api, "hello-rnn", "hello", 2)
    for model in ("hello-lstm", "hello-gru", "hello-rnn"):
        step_with(page, lambda model=model: page.select_option("#model", model))
        assert_view(page, api, model, "hello", 2)
        step_with(page, lambda: page.keyboard.press("ArrowRight"))
        assert_view(page, api, model, "hello", 3)
        step_with(page, lambda: page.keyboard.press("ArrowLeft"))
    assert_charts_created_once(page)


def test_edit_text(page: Page, api: httpx.Client) -> None:
    open_hello(page, "?step=4")
    step_with(page, lambda: page.fill("#text", "hell"))
    assert_view(page, api, "hello-rnn", "hell", 3)  # the step is clamped to the shorter text
    step_with(page, lambda: page.fill("#text", "olleh"))
    assert_view(page, api, "hello-rnn", "olleh", 3)
    step_with(page, lambda: page.keyboard.press("Home"))  # typing keys do not leave the box
    step_with(page, lambda: page.click("#back"))
    assert_view(page, api, "hello-rnn", "olleh", 2)


@pytest.mark.parametrize(
    ("query", "model", "text", "step"),
    [
        ("?model=hello-lstm&text=hello&step=3", "hello-lstm", "hello", 3),
        ("?model=hello-gru&text=leh&step=1", "hello-gru", "leh", 1),
        ("?model=hello-rnn&text=hello&step=99", "hello-rnn", "hello", 4),
        ("?model=hello-lstm&step=-3", "hello-lstm", "hello", 0),
        ("", "hello-rnn", "hello", 0),
    ],
)
def test_url_reproduces_the_view(
    page: Page, api: httpx.Client, query: str, model: str, text: str, step: int
) -> None:
    open_hello(page, query)
    assert page.input_value("#model") == model
    assert page.input_value("#text") == text
    assert_view(page, api, model, text, step)


@pytest.mark.parametrize(
    ("notation", "input_side", "hidden_side", "weights_title"),
    [
        ("pytorch", "Wihxt+bih", "Whhht−1+bhh", "W_ih (weight_ih_l0)"),
        ("jm", "Wxt+bx", "Uht−1+bh", "W (PyTorch weight_ih_l0)"),
        ("cs231n", "Wxhxt+bxh", "Whhht−1+bhh", "W_xh (PyTorch weight_ih_l0)"),
    ],
)
def test_notation_names_the_weights(
    page: Page,
    api: httpx.Client,
    notation: str,
    input_side: str,
    hidden_side: str,
    weights_title: str,
) -> None:
    open_hello(page, f"?notation={notation}&step=2")
    assert page.input_value("#notation") == notation
    assert_view(page, api, "hello-rnn", "hello", 2, notation)
    equation = "#equations math[alttext='{}']"
    expect(page.locator(equation.format("input projection"))).to_contain_text(input_side)
    expect(page.locator(equation.format("hidden projection"))).to_contain_text(hidden_side)
    expect(page.locator("#chart-w-xh .chart-title")).to_have_text(weights_title)
    # The choice is remembered: /hello without `notation=` opens with it.
    open_hello(page, "?step=1")
    assert page.input_value("#notation") == notation
    assert_view(page, api, "hello-rnn", "hello", 1, notation)


def test_unknown_character_shows_the_servers_message(
    page: Page, api: httpx.Client, console: ConsoleWatch
) -> None:
    console.allow(r"status of 422")
    open_hello(page, "?step=1")
    step_with(page, lambda: page.fill("#text", "hexo"))
    expected = api.get("/api/trace", params={"model": "hello-rnn", "text": "hexo"}).json()
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_have_text(expected["detail"][0]["msg"])
    expect(error).to_contain_text("['x']")
    assert page.evaluate("document.body.dataset.error") == "true"
    assert url_state(page)["text"] == "hexo"

    step_with(page, lambda: page.fill("#text", "hello"))
    expect(error).to_be_hidden()
    assert_view(page, api, "hello-rnn", "hello", 1)


def test_an_unreachable_server_is_said_so(page: Page, console: ConsoleWatch) -> None:
    console.allow(r"net::ERR_FAILED")
    open_hello(page, "?step=1")
    page.route("**/api/trace?*", lambda route: route.abort())
    step_with(page, lambda: page.fill("#text", "hell"))
    expect(page.locator("#error")).to_contain_text("could not reach the server")
    assert page.evaluate("document.body.dataset.error") == "true"


def test_markup_in_text_stays_text(page: Page, console: ConsoleWatch) -> None:
    console.allow(r"status of 422")
    open_hello(page)
    step_with(page, lambda: page.fill("#text", XSS))
    expect(page.locator("#error")).to_contain_text("not in the model's vocabulary")
    assert page.input_value("#text") == XSS
    assert page.locator("main img").count() == 0
    assert console.dialogs == []

    # The same text from a shared link is also only text.
    page.goto("/hello?" + str(httpx.QueryParams({"text": XSS})))
    wait_ready(page)
    assert page.input_value("#text") == XSS
    assert page.locator("main img").count() == 0
    expect(page.locator("#error")).to_contain_text("'<'")


def test_unknown_model_shows_the_servers_message(page: Page, console: ConsoleWatch) -> None:
    console.allow(r"status of 404")
    open_hello(page, "?model=nope")
    expect(page.locator("#error")).to_contain_text("unknown model 'nope'")


def test_index_lists_the_model_zoo(page: Page, api: httpx.Client) -> None:
    page.goto("/")
    models = api.get("/api/models").json()["models"]
    for model in models:
        row = page.locator(f"tr[data-model='{model['id']}']")
        expect(row).to_contain_text(str(model["hidden_size"]))
        if model["corpus"] == "hello":  # the lecture's models also step by step in /hello
            expect(row.locator("a.hello-link")).to_have_attribute(
                "href", f"/hello?model={model['id']}"
            )
    expect(page.locator("a[href='/hello']").first).to_be_visible()
    expect(page.locator("a[href='/docs']").first).to_be_visible()


def test_screenshot_for_the_readme(page: Page) -> None:
    open_hello(page, "?model=hello-rnn&text=hello&step=2")
    # The sticky step controls on top, then the diagram, the prediction and the equations.
    page.evaluate(
        "() => window.scrollTo(0, document.querySelector('#diagram').closest('section').offsetTop"
        " - document.querySelector('.step-controls').offsetHeight - 8)"
    )
    page.emulate_media(reduced_motion="reduce")
    page.wait_for_function("() => document.querySelector('#chart-h .plot').data !== undefined")
    Path(SCREENSHOT).parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT)
    assert SCREENSHOT.stat().st_size > 10_000


def test_a_peephole_lstm_shows_its_peephole_terms(page: Page, api: httpx.Client) -> None:
    """A peephole LSTM handed over from /lab: each gate line adds w_c ⊙ c (c_{t-1} for i and f,
    c_t for o) with the model's own peepholes and the trace's cell states, and the result is
    the trace's gate."""
    hello = api.get("/api/models/hello-lstm").json()
    size = hello["hidden_size"]
    peepholes = [0.5, -0.25, 0.75, -1.0, 0.3, 0.6, 0.9, -0.4, 0.2][: 3 * size]
    spec = {k: hello[k] for k in ("vocab", "hidden_size", "num_layers", "nonlinearity")}
    spec |= {"cell": "peephole", "state_dict": {**hello["state_dict"], "weight_ch_l0": peepholes}}
    page.goto("/")
    page.evaluate("(s) => localStorage.setItem('unrolled:model:peep', JSON.stringify(s))", spec)
    open_hello(page, "?model=local:peep&text=hello&step=2")
    trace = api.post("/api/trace", json={"model": spec, "text": "hello", "projections": True})
    layer = trace.json()["layers"][0]
    assert layer["peephole"] == peepholes
    for k, gate in enumerate("ifo"):
        vectors = page.evaluate(
            "(g) => Array.from(document.querySelectorAll("
            "`#equations math[alttext='gate ${g}'] mtable.vector`),"
            " (t) => JSON.parse(t.getAttribute('data-values')))",
            gate,
        )
        peep, cell = vectors[2], vectors[3]  # after the two projections: w_c and c
        assert close(peep, peepholes[k * size : (k + 1) * size])
        assert close(cell, layer["c"][2] if gate == "o" else layer["c"][1])
        assert close(vectors[-1], layer["gates"][gate][2])
