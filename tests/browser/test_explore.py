"""/explore in real Chromium on a real server: every panel is checked against what
GET /api/trace (with analysis) returns for the same request, an uploaded model against
torch.nn.LSTM itself, and user text is only ever text."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
import torch
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GENERATED = "() => document.getElementById('generate-status').textContent.startsWith('Generated')"
WHITESPACE = {" ": " ", "\n": "⏎"}  # how the text views show these characters
VISIBLE = {" ": "␣", "\n": "⏎"}  # how chart labels and sentences show them


# ---- helpers -------------------------------------------------------------------------------


def wait_ready(page: Page) -> None:
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)


def open_explore(page: Page, **params: str | int) -> None:
    page.goto("/explore?" + urlencode(params))
    wait_ready(page)


# How close /explore's numbers are to the exact ones (server/compact.py's grid).
DISPLAYED = {"rtol": 0.0, "atol": 1e-4}


def fetch_trace(
    api: httpx.Client, model: str, text: str, loss: str = "all", compact: bool = True
) -> dict:
    """The trace the page draws: with the analysis, its numbers rounded for display
    (tests/test_compact.py checks those against the exact ones); or the exact one."""
    params = {"model": model, "text": text, "loss": loss, "analysis": "true"}
    if compact:
        params["compact"] = "true"
    response = api.get("/api/trace", params=params)
    response.raise_for_status()
    return response.json()


def zoo(api: httpx.Client) -> dict[str, dict]:
    return {m["id"]: m for m in api.get("/api/models").json()["models"]}


def model_where(api: httpx.Client, **wanted: object) -> dict:
    """The first built-in character model (not a lecture "hello" one) with these fields."""
    for model in zoo(api).values():
        if model["corpus"] != "hello" and all(model[k] == v for k, v in wanted.items()):
            return model
    raise AssertionError(f"the zoo has no model with {wanted}")


def close(actual: list, expected: list, tol: float = 1e-12) -> bool:
    """Equal lengths; numbers equal to tol; None only where None is expected."""
    if len(actual) != len(expected):
        return False
    for a, e in zip(actual, expected, strict=True):
        if e is None or a is None:
            if a is not e:
                return False
        elif not math.isclose(a, e, rel_tol=tol, abs_tol=tol):
            return False
    return True


def url_state(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def wait_url(page: Page, key: str, value: str) -> None:
    """The URL is rewritten a moment after the last cursor move."""
    page.wait_for_function(
        "([key, value]) => new URLSearchParams(location.search).get(key) === value",
        arg=[key, value],
    )


def press(page: Page, key: str) -> None:
    page.keyboard.press(key)
    wait_ready(page)


def shown_char(char: str) -> str:
    return WHITESPACE.get(char, char)


SNAPSHOT = """() => {
  const values = (selector) => [...document.querySelectorAll(selector)]
    .map((n) => (n.dataset.value === "" ? null : Number(n.dataset.value)));
  const plotData = (id) => {
    const gd = document.querySelector(`#${id} .js-plotly-plot`);
    return gd ? gd.data.map((t) => ({name: t.name, x: t.x, y: t.y, z: t.z})) : null;
  };
  const topk = [...document.querySelectorAll("#chart-topk rect[data-index]")];
  const labels = [...document.querySelectorAll("#chart-topk text")].map((t) => t.textContent);
  const paths = [...document.querySelectorAll("#chart-gate-bars path[data-group]")];
  const cursorAt = (selector) => [...document.querySelectorAll(selector)]
    .map((n) => Number(n.dataset.t));
  return {
    cursor: Number(document.body.dataset.cursor),
    scrubber: document.getElementById("scrubber").value,
    text: [...document.querySelectorAll("#text-view .char")].map((n) => n.textContent),
    textCursor: cursorAt("#text-view .char.cursor"),
    unitValues: values("#text-view .char"),
    connectivity: values("#connectivity-view .char"),
    connectivityCursor: cursorAt("#connectivity-view .char.cursor"),
    topk: topk.map((r) => Number(r.dataset.value)),
    topkOutlined: topk.map((r) => r.getAttribute("stroke-width") === "4"),
    topkLabels: labels,
    gateBars: Object.fromEntries(paths.map((p) => [p.dataset.group, JSON.parse(p.dataset.values)])),
    predicted: document.getElementById("prediction").dataset.predicted,
    target: document.getElementById("prediction").dataset.target,
    gradients: plotData("chart-gradients"),
    gradientsNow: JSON.parse(document.getElementById("gradients-sentence").dataset.log10 || "null"),
    h: plotData("chart-h"),
    c: plotData("chart-c"),
  };
}"""

# Where an overlay mark is against where Plotly itself maps the data value (pixels).
MARK_POSITION = """([id, kind, value]) => {
  const figure = document.getElementById(id);
  const gd = figure.querySelector(".js-plotly-plot");
  const mark = figure.querySelector(kind === "column" ? ".mark-column" : ".mark-row");
  if (mark.hidden) return null;
  const wrap = mark.parentElement.getBoundingClientRect();
  const box = mark.getBoundingClientRect();
  const {_size: size, xaxis, yaxis} = gd._fullLayout;
  if (kind === "column") {
    return {at: (box.left + box.right) / 2 - wrap.left, expected: size.l + xaxis.l2p(value)};
  }
  return {at: (box.top + box.bottom) / 2 - wrap.top, expected: size.t + yaxis.l2p(value)};
}"""


def mark_at(page: Page, chart: str, kind: str, value: int) -> None:
    position = page.evaluate(MARK_POSITION, [chart, kind, value])
    assert position is not None, f"{chart}: no {kind} mark"
    assert abs(position["at"] - position["expected"]) < 1.5, (chart, position)


def transpose(matrix: list[list[float]]) -> list[list[float]]:
    return [list(row) for row in zip(*matrix, strict=True)]


def normalised(row: list[float | None]) -> list[float]:
    """Madsen's colouring: each step's connectivity divided by its maximum."""
    finite = [v for v in row if v is not None]
    top = max(finite) if finite else 0.0
    return [0.0 if v is None else 10 ** (v - top) for v in row]


def assert_view(
    page: Page,
    trace: dict,
    t: int,
    layer: int = 0,
    unit: int = 0,
    series: str = "h",
) -> None:
    """Every panel shows the trace at cursor t (as the API computed it)."""
    snap = page.evaluate(SNAPSHOT)
    tokens = trace["tokens"]
    data = trace["layers"][layer]
    assert snap["cursor"] == t and snap["scrubber"] == str(t)
    expect(page.locator("#cursor-label")).to_contain_text(f"t = {t} of {len(tokens) - 1}")

    # The text, one span per character, coloured by the selected unit over the whole text.
    assert snap["text"] == [shown_char(ch) for ch in tokens]
    assert snap["textCursor"] == [t]
    matrix = data["c"] if series == "c" else data["h"]
    assert close(snap["unitValues"], [row[unit] for row in matrix])

    # Connectivity at the cursor: steps 0..t coloured, divided by the row's maximum.
    row = trace["analysis"]["connectivity"]["log10"][t]
    assert len(row) == t + 1
    assert close(snap["connectivity"][: t + 1], normalised(row), tol=1e-9)
    assert snap["connectivity"][t + 1 :] == [None] * (len(tokens) - t - 1)
    assert snap["connectivityCursor"] == [t]

    # Top-k predictions: the most probable next characters, the true next one outlined.
    probs = trace["probs"][t]
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))[: len(snap["topk"])]
    assert len(snap["topk"]) == min(5, len(probs))
    assert close(snap["topk"], [probs[i] for i in order])
    labels = [VISIBLE.get(trace["vocab"][i], trace["vocab"][i]) for i in order]
    assert all(label in snap["topkLabels"] for label in labels)
    target = trace["targets"][t]
    assert snap["topkOutlined"] == [trace["vocab"][i] == target for i in order]
    assert snap["predicted"] == trace["vocab"][order[0]]
    assert snap["target"] == (target or "")

    # Gates at this step (one path per gate, values kept at full precision).
    gates = data["gates"]
    assert list(snap["gateBars"]) == [f"gate {g}" for g in gates]
    for g, values in gates.items():
        assert close(snap["gateBars"][f"gate {g}"], values[t])

    # States over time: the heatmap is the whole (H, T) matrix; the cursor column and the
    # selected unit's row sit where Plotly maps them.
    assert close(
        [v for r in snap["h"][0]["z"] for v in r], [v for r in transpose(data["h"]) for v in r]
    )
    mark_at(page, "chart-h", "column", t)
    if series == "h":
        mark_at(page, "chart-h", "row", unit)
    if data["c"] is not None:
        assert close(
            [v for r in snap["c"][0]["z"] for v in r], [v for r in transpose(data["c"]) for v in r]
        )
        mark_at(page, "chart-c", "column", t)
    for g in gates:
        mark_at(page, f"chart-gate-{g}", "column", t)

    # Gradient norms (log10, null = exactly zero) with the cursor marked.
    grads = trace["grads"][layer]
    curves = {c["name"]: c["y"] for c in snap["gradients"] if "exactly" not in c["name"]}
    assert close(curves[f"‖∂L/∂h_t‖ layer {layer}"], grads["h"])
    assert close(curves["‖∂L/∂x_t‖ input"], trace["grads_input"])
    now = [grads["h"][t], grads["c"][t] if grads["c"] else None, trace["grads_input"][t]]
    assert close(snap["gradientsNow"], now)
    mark_at(page, "chart-gradients", "column", t)


# ---- tests ---------------------------------------------------------------------------------


def test_cursor_follows_keys_clicks_and_scrubber(page: Page, api: httpx.Client) -> None:
    model = model_where(api, cell="lstm", num_layers=2)
    text = model["sample"][:80]
    open_explore(page, model=model["id"], text=text)
    trace = fetch_trace(api, model["id"], text)
    assert_view(page, trace, 0)

    for _ in range(3):
        press(page, "ArrowRight")
    assert_view(page, trace, 3)
    press(page, "ArrowLeft")
    assert_view(page, trace, 2)
    press(page, "End")
    assert_view(page, trace, len(text) - 1)
    press(page, "Home")
    assert_view(page, trace, 0)

    page.locator("#text-view .char[data-t='17']").click()
    wait_ready(page)
    assert_view(page, trace, 17)
    page.locator("#connectivity-view .char[data-t='9']").click()
    wait_ready(page)
    assert_view(page, trace, 9)
    page.locator("#scrubber").fill("40")
    wait_ready(page)
    assert_view(page, trace, 40)
    wait_url(page, "cursor", "40")

    # Space plays, and stops by itself at the end.
    press(page, "End")
    press(page, "ArrowLeft")
    press(page, "ArrowLeft")
    page.keyboard.press(" ")
    page.wait_for_function(
        f"() => document.body.dataset.cursor === '{len(text) - 1}' "
        "&& document.body.dataset.playing === 'false'"
    )
    wait_ready(page)
    assert_view(page, trace, len(text) - 1)


def test_arrow_keys_do_not_move_the_cursor_while_typing(page: Page, api: httpx.Client) -> None:
    model = model_where(api, cell="gru")
    open_explore(page, model=model["id"], text=model["sample"][:30], cursor=5)
    page.focus("#text")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    assert page.evaluate("document.body.dataset.cursor") == "5"


def test_typed_text_is_traced(page: Page, api: httpx.Client) -> None:
    model = model_where(api, cell="lstm", num_layers=2)
    open_explore(page, model=model["id"])
    # The default text is the model's own sample.
    assert page.input_value("#text") == model["sample"]
    assert url_state(page)["text"] == ""

    text = model["sample"][10:60]
    page.fill("#text", text)
    wait_ready(page)
    wait_url(page, "text", text)
    page.evaluate("document.activeElement.blur()")  # keys move the cursor once out of the box
    press(page, "ArrowRight")
    assert_view(page, fetch_trace(api, model["id"], text), 1)


def test_layer_unit_and_find_units(page: Page, api: httpx.Client) -> None:
    model = model_where(api, cell="lstm", num_layers=2)
    text = model["sample"][:120]
    trace = fetch_trace(api, model["id"], text)
    open_explore(page, model=model["id"], text=text, cursor=7)

    page.select_option("#layer", "1")
    wait_ready(page)
    assert_view(page, trace, 7, layer=1)

    page.fill("#unit", "11")
    page.locator("#unit").dispatch_event("change")
    wait_ready(page)
    assert_view(page, trace, 7, layer=1, unit=11)
    page.select_option("#series", "c")
    wait_ready(page)
    assert_view(page, trace, 7, layer=1, unit=11, series="c")
    assert url_state(page)["unit"] == "11" and url_state(page)["series"] == "c"

    # Clicking a heatmap cell selects its unit and moves the cursor to its step.
    box = page.evaluate(
        """() => {
          const gd = document.querySelector("#chart-h .js-plotly-plot");
          gd.scrollIntoView({block: "center"});
          const r = gd.getBoundingClientRect();
          const {_size: s, xaxis, yaxis} = gd._fullLayout;
          return {x: r.left + s.l + xaxis.l2p(20), y: r.top + s.t + yaxis.l2p(3)};
        }"""
    )
    page.mouse.click(box["x"], box["y"])
    wait_ready(page)
    assert_view(page, trace, 20, layer=1, unit=3, series="h")

    # "Find units": for each feature, the best unit (by |r| over h and c) is one click away.
    correlations = trace["analysis"]["correlations"][1]
    for feature in trace["analysis"]["features"]:
        ranked = [
            (abs(r), series, unit)
            for series in ("h", "c")
            for unit, r in enumerate(correlations[series][feature])
            if r is not None
        ]
        best = page.locator(f"#units-list tr[data-feature='{feature}'] button.best")
        if not ranked:
            expect(best).to_have_count(0)
            continue
        _, series, unit = max(ranked, key=lambda x: (x[0], -x[2]))
        r = correlations[series][feature][unit]
        assert float(best.get_attribute("data-r") or "nan") == pytest.approx(r, rel=1e-12)
        best.click()
        wait_ready(page)
        assert page.evaluate("document.body.dataset.unit") == f"{series}{unit}"
        assert_view(page, trace, 20, layer=1, unit=unit, series=series)
        expect(best).to_have_attribute("aria-pressed", "true")


def test_url_reproduces_the_view(page: Page, api: httpx.Client) -> None:
    model = model_where(api, cell="lstm", num_layers=2)
    text = model["sample"][5:75]
    query = {
        "model": model["id"],
        "text": text,
        "layer": 1,
        "cursor": 33,
        "unit": 4,
        "series": "c",
        "loss": "last",
        "panels": "text,connectivity,predictions,states,gates,gradients",
        "notation": "jm",
    }
    open_explore(page, **query)
    assert page.input_value("#model") == model["id"]
    assert page.input_value("#text") == text
    assert page.input_value("#layer") == "1"
    assert page.input_value("#unit") == "4"
    assert page.input_value("#series") == "c"
    assert page.input_value("#loss") == "last"
    assert page.input_value("#notation") == "jm"
    for panel in ("units", "saturation", "equations"):
        expect(page.locator(f"[data-panel='{panel}']")).to_be_hidden()
        expect(page.locator(f"#panel-toggles input[value='{panel}']")).not_to_be_checked()
    assert_view(
        page, fetch_trace(api, model["id"], text, loss="last"), 33, layer=1, unit=4, series="c"
    )
    state = url_state(page)
    assert {k: state[k] for k in query} == {k: str(v) for k, v in query.items()}

    # Showing a hidden panel draws it for the current view.
    page.check("#panel-toggles input[value='equations']")
    wait_ready(page)
    expect(page.locator("#equations math").first).to_be_visible()
    assert "equations" in url_state(page)["panels"].split(",")


def test_notation_switch_applies_to_hello(page: Page, api: httpx.Client) -> None:
    open_explore(page, model="hello-rnn", text="hello")
    assert page.input_value("#notation") == "cs231n"  # the default, as /hello shows it
    expect(page.locator("#equations")).to_contain_text("Wxh")
    page.select_option("#notation", "pytorch")
    wait_ready(page)
    expect(page.locator("#equations")).to_contain_text("Wih")
    expect(page.locator("#equations")).to_contain_text("Wout")
    assert url_state(page)["notation"] == "pytorch"

    # /hello follows the remembered choice: its equations, titles and diagram caption.
    page.goto("/hello?model=hello-rnn&text=hello&step=1")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    assert page.input_value("#notation") == "pytorch"
    assert url_state(page)["notation"] == "pytorch"
    expect(page.locator("#equations")).to_contain_text("Wih")
    expect(page.locator("#chart-w-xh .chart-title")).to_have_text("W_ih (weight_ih_l0)")
    expect(page.locator(".diagram-note").last).to_contain_text("W_ih, W_hh, W_out")

    page.select_option("#notation", "jm")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    expect(page.locator("#chart-w-hh .chart-title")).to_have_text("U (PyTorch weight_hh_l0)")
    expect(page.locator("#chart-w-hy .chart-title")).to_have_text("V (PyTorch readout.weight)")
    expect(page.locator(".diagram-note").last).to_contain_text("W, U, V")
    hidden_proj = page.locator("#equations math[alttext='hidden projection']")
    expect(hidden_proj).to_contain_text("Uht−1+bh")
    assert url_state(page)["notation"] == "jm"
    # The numbers do not change with the names.
    trace = api.get(
        "/api/trace", params={"model": "hello-rnn", "text": "hello", "projections": "true"}
    ).json()
    values = page.evaluate(
        "JSON.parse(document.querySelector(\"#equations mtable[data-name='h_t']\").dataset.values)"
    )
    assert close(values, trace["layers"][0]["h"][1])

    # And /explore opens with it.
    open_explore(page, model="hello-gru", text="hello")
    assert page.input_value("#notation") == "jm"
    expect(page.locator("#equations")).to_contain_text("Ur")


def test_generated_text_becomes_the_sequence(page: Page, api: httpx.Client) -> None:
    model = model_where(api, cell="lstm", num_layers=2)
    prompt = model["sample"][:12]
    request = {"model": model["id"], "prompt": prompt, "length": 40, "temperature": 0.8, "seed": 7}
    expected = api.post("/api/generate", json=request).json()

    open_explore(page, model=model["id"], text=model["sample"][:40])
    page.locator("#generate-box summary").click()
    page.fill("#prompt", prompt)
    page.fill("#length", "40")
    page.fill("#temperature", "0.8")
    page.fill("#seed", "7")
    page.click("#generate-button")
    page.wait_for_function(GENERATED)
    wait_ready(page)
    assert page.input_value("#text") == expected["text"]
    wait_url(page, "text", expected["text"])
    state = url_state(page)
    assert (state["prompt"], state["length"], state["temperature"], state["seed"]) == (
        prompt,
        "40",
        "0.8",
        "7",
    )
    trace = fetch_trace(api, model["id"], expected["text"])
    assert_view(page, trace, len(prompt) - 1)  # the step that predicts the first sampled character

    # Step through the model writing: each generated character against the trace.
    for k in range(3):
        step = expected["steps"][k]
        sampled = VISIBLE.get(step["char"], step["char"])
        expect(page.locator("#prediction")).to_contain_text(f"sampled “{sampled}”")
        assert trace["targets"][len(prompt) - 1 + k] == step["char"]
        press(page, "ArrowRight")
    assert_view(page, trace, len(prompt) + 2)


def test_a_cursor_move_just_before_generating_does_not_undo_its_cursor(
    page: Page, api: httpx.Client
) -> None:
    """The URL write of a cursor move waits a moment; if a generation lands in that moment, the
    write must not put the old cursor back (CI once saw the generated text shown at t = 0)."""
    model = model_where(api, cell="lstm", num_layers=2)
    prompt = model["sample"][:12]
    open_explore(page, model=model["id"], text=model["sample"][:40], cursor=5)
    page.locator("#generate-box summary").click()
    page.fill("#prompt", prompt)
    page.fill("#length", "40")

    def late_trace(route: Route) -> None:
        time.sleep(1.0)  # the generated text's trace arrives after the move's URL write is due
        route.continue_()

    page.route("**/api/trace?*", late_trace)
    page.evaluate(
        """() => {
          const key = new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true });
          document.body.dispatchEvent(key);
          document.getElementById("generate-button").click();
        }"""
    )
    page.wait_for_function(GENERATED)
    wait_ready(page)
    wait_url(page, "cursor", str(len(prompt) - 1))
    assert page.evaluate("() => document.body.dataset.cursor") == str(len(prompt) - 1)


def test_upload_a_torch_state_dict(page: Page, tmp_path: Path) -> None:
    """A real nn.LSTM + Linear saved with torch.save: the page shows torch's own numbers."""
    vocab = "abc (),'"
    torch.manual_seed(3)

    class CharModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = torch.nn.LSTM(len(vocab), 6, num_layers=2)
            self.readout = torch.nn.Linear(6, len(vocab))

    net = CharModel()
    path = tmp_path / "model.pt"
    torch.save(net.state_dict(), path)
    text = "ab (c, 'ba')"
    x = torch.nn.functional.one_hot(torch.tensor([vocab.index(ch) for ch in text]), len(vocab))
    lstm = net.rnn.double()
    with torch.no_grad():
        hidden, _ = lstm(x.double())  # (T, H) of the top layer
        probs = torch.softmax(net.readout.double()(hidden), dim=-1)

    open_explore(page, model="hello-lstm", text="hello")
    page.locator("#upload-box summary").click()
    page.set_input_files("#upload-file", str(path))
    page.fill("#upload-vocab", vocab)
    page.fill("#upload-name", "my-lstm")
    page.click("#upload-button")
    page.wait_for_function("() => document.body.dataset.uploading === 'false'")
    wait_ready(page)
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#upload-status")).to_contain_text("LSTM, 2 layer(s) of 6 units")
    expect(page.locator("#upload-status")).to_contain_text("i rows 0–6")
    assert url_state(page)["model"] == "local:my-lstm"
    assert page.input_value("#model") == "local:my-lstm"

    page.fill("#text", text)
    wait_ready(page)
    page.select_option("#layer", "1")
    wait_ready(page)
    page.locator("#text-view .char").last.click()
    wait_ready(page)
    snap = page.evaluate(SNAPSHOT)
    assert snap["cursor"] == len(text) - 1
    # /explore draws the compact encoding: within its grid (4 decimals).
    z = snap["h"][0]["z"]  # (H, T) of layer 1, from the page
    torch.testing.assert_close(torch.tensor(z, dtype=torch.float64).T, hidden, **DISPLAYED)
    unit_colours = torch.tensor(snap["unitValues"], dtype=torch.float64)
    torch.testing.assert_close(unit_colours, hidden[:, 0], **DISPLAYED)
    top = probs[-1].sort(descending=True).values[:5]
    torch.testing.assert_close(torch.tensor(snap["topk"], dtype=torch.float64), top, **DISPLAYED)

    # The stored model opens in /hello too (hand-over through this browser's storage).
    page.goto("/hello?" + urlencode({"model": "local:my-lstm", "text": text, "step": 3}))
    page.wait_for_selector("body[data-ready='true']", state="attached")
    expect(page.locator("#error")).to_be_hidden()
    h_t = page.evaluate(
        "JSON.parse(document.querySelector(\"#equations mtable[data-name='h_t']\").dataset.values)"
    )
    bottom = torch.nn.LSTM(len(vocab), 6, dtype=torch.float64)  # layer 0 on its own
    bottom.load_state_dict({k: v for k, v in lstm.state_dict().items() if k.endswith("_l0")})
    with torch.no_grad():
        layer0, _ = bottom(x.double())
    torch.testing.assert_close(
        torch.tensor(h_t, dtype=torch.float64), layer0[3], rtol=1e-10, atol=1e-12
    )


def test_bad_upload_shows_the_servers_message(
    page: Page, api: httpx.Client, tmp_path: Path, console: ConsoleWatch
) -> None:
    console.allow(r"status of 422")
    path = tmp_path / "model.pt"
    weights = {
        "rnn.weight_ih_l0": torch.zeros(4, 3),
        "rnn.weight_hh_l0": torch.zeros(4, 2),  # not [G*H, H] for any cell
        "readout.weight": torch.zeros(3, 1),
        "readout.bias": torch.zeros(3),
    }
    torch.save(weights, path)
    answer = api.post(
        "/api/models/import", files={"file": path.read_bytes()}, data={"vocab": "abc"}
    )
    assert answer.status_code == 422
    open_explore(page, model="hello-rnn", text="hello")
    page.locator("#upload-box summary").click()
    page.set_input_files("#upload-file", str(path))
    page.fill("#upload-vocab", "abc")
    page.click("#upload-button")
    page.wait_for_function("() => document.body.dataset.uploading === 'false'")
    # The message names the field at fault (the file), as the answer's `loc` does.
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["body", "file"]
    expect(page.locator("#error")).to_have_text(f"Upload: file: {detail['msg']}")
    expect(page.locator("#error")).to_have_attribute("data-field", "file")
    expect(page.locator("#error")).to_contain_text("weight_hh_l0 has shape [4, 2]")
    assert url_state(page)["model"] == "hello-rnn"


def test_exports(page: Page, api: httpx.Client) -> None:
    model = model_where(api, cell="gru")
    text = model["sample"][:50]
    open_explore(page, model=model["id"], text=text, cursor=12)
    # The page draws rounded numbers; what a reader downloads is exact (full float64).
    trace = fetch_trace(api, model["id"], text, compact=False)

    for chart in ("chart-h", "chart-topk"):
        with page.expect_download() as download:
            page.click(f"#{chart} [data-export='png']")
        data = Path(download.value.path()).read_bytes()
        assert data.startswith(PNG_SIGNATURE), chart
        assert len(data) > 2000
    with page.expect_download() as download:
        page.click("#chart-gate-bars [data-export='svg']")
    svg = Path(download.value.path()).read_text()
    assert svg.startswith("<svg") and "gate r" in svg

    with page.expect_download() as download:
        page.click("#trace-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row["input"] for row in rows] == list(text)
    assert close([float(row["h_l0_u2"]) for row in rows], [r[2] for r in trace["layers"][0]["h"]])
    assert close(
        [float(row["log10_grad_h_l0"]) if row["log10_grad_h_l0"] else None for row in rows],
        trace["grads"][0]["h"],
    )

    href = page.locator("#trace-json").get_attribute("href") or ""
    assert api.get(href).json() == trace


def test_server_messages_are_shown_as_text(
    page: Page, api: httpx.Client, console: ConsoleWatch
) -> None:
    console.allow(r"status of 422")
    open_explore(page, model="hello-rnn", text="hello")
    page.fill("#text", "hexo")
    wait_ready(page)
    expected = fetch_detail(api, "hello-rnn", "hexo")
    expect(page.locator("#error")).to_have_text(expected)
    assert page.evaluate("document.body.dataset.error") == "true"

    too_long = "hello" * 200  # over the analysis limit
    page.fill("#text", too_long)
    wait_ready(page)
    expect(page.locator("#error")).to_have_text(fetch_detail(api, "hello-rnn", too_long))
    expect(page.locator("#error")).to_contain_text("limit")

    page.click("#use-sample")
    wait_ready(page)
    expect(page.locator("#error")).to_be_hidden()
    assert page.input_value("#text") == "hello"


def fetch_detail(api: httpx.Client, model: str, text: str) -> str:
    response = api.get("/api/trace", params={"model": model, "text": text, "analysis": "true"})
    assert response.status_code == 422
    return response.json()["detail"][0]["msg"]


def test_markup_stays_text(page: Page, api: httpx.Client, console: ConsoleWatch) -> None:
    console.allow(r"status of 422")
    main_images = "main img, main [onerror]"
    covering = [
        m for m in zoo(api).values() if m["corpus"] != "hello" and set(XSS) <= set(m["vocab"])
    ]
    assert covering, "a code model's vocabulary should hold < > = ( ) and letters"
    model = covering[0]

    open_explore(page, model=model["id"], text="x = 1")
    page.fill("#text", XSS)
    wait_ready(page)
    expect(page.locator("#error")).to_be_hidden()
    assert page.evaluate(SNAPSHOT)["text"] == [shown_char(ch) for ch in XSS]
    expect(page.locator("#text-view")).to_have_text(XSS.replace(" ", " "))
    assert page.locator(main_images).count() == 0
    assert_view(page, fetch_trace(api, model["id"], XSS), 0)

    # Generated from a markup prompt: the generated text is shown as text too.
    page.locator("#generate-box summary").click()
    page.fill("#prompt", XSS)
    page.fill("#length", "30")
    page.click("#generate-button")
    page.wait_for_function(GENERATED)
    wait_ready(page)
    generated = page.input_value("#text")
    assert generated.startswith(XSS) and len(generated) == len(XSS) + 30
    assert page.evaluate(SNAPSHOT)["text"] == [shown_char(ch) for ch in generated]
    assert page.locator(main_images).count() == 0

    # A model whose vocabulary lacks the characters: the server's message, as text.
    page.goto("/explore?" + urlencode({"model": "hello-rnn", "text": XSS}))
    wait_ready(page)
    expect(page.locator("#error")).to_contain_text("'<'")
    assert page.input_value("#text") == XSS
    assert page.locator(main_images).count() == 0
    assert console.dialogs == []


def test_local_model_from_storage(page: Page, api: httpx.Client) -> None:
    """A model handed over from /lab (`local:<name>` + localStorage) is traced inline."""
    spec = api.get("/api/models/hello-gru").json()
    inline = {
        k: spec[k]
        for k in ("cell", "vocab", "hidden_size", "num_layers", "nonlinearity", "state_dict")
    }
    page.goto("/")
    page.evaluate(
        "(spec) => localStorage.setItem('unrolled:model:from-lab', JSON.stringify(spec))", inline
    )
    open_explore(page, model="local:from-lab", text="hellohello", cursor=4)
    expect(page.locator("#model option[value='local:from-lab']")).to_have_count(1)
    # Same weights as hello-gru: the same numbers as the built-in's trace.
    assert_view(page, fetch_trace(api, "hello-gru", "hellohello"), 4)
    # Its JSON download is asked for (a POST with the weights) when clicked, at full precision.
    with page.expect_download() as download:
        page.click("#trace-json")
    saved = json.loads(Path(download.value.path()).read_text())
    exact = fetch_trace(api, "hello-gru", "hellohello", compact=False)
    assert saved["layers"] == exact["layers"] and saved["analysis"] == exact["analysis"]


def test_index_links_every_model_to_explore(page: Page, api: httpx.Client) -> None:
    page.goto("/")
    for model in zoo(api).values():
        row = page.locator(f"tr[data-model='{model['id']}']")
        expect(row.locator("a.explore-link")).to_have_attribute(
            "href", f"/explore?model={model['id']}"
        )
        expect(row.locator("a.hello-link")).to_have_count(1 if model["corpus"] == "hello" else 0)
        expect(row).to_contain_text(f"{model['final_loss']:.4f}")
    expect(page.locator("nav a[href='/explore']")).to_be_visible()


def test_hello_lists_only_the_lecture_models(page: Page, api: httpx.Client) -> None:
    page.goto("/hello")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    options = page.locator("#model option").evaluate_all("(os) => os.map((o) => o.value)")
    lecture = [m["id"] for m in zoo(api).values() if m["corpus"] == "hello"]
    assert options == lecture
