"""The /lab page in real Chromium against a real server: a training run streams into the
charts (every number equal to the events the server sent, and to a second run of the same
seeded request read with httpx), Stop ends it, a divergent learning rate is reported, the
comparison mode draws success against delay, the trained model downloads as safetensors and
opens in /explore and /hello, and the URL reproduces the settings."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect
from safetensors import safe_open
from safetensors.numpy import load_file

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser

# Count Plotly.newPlot / react / extendTraces per chart: a figure is created once per page.
COUNT_PLOTLY_CALLS = """
window.__plotlyCalls = {newPlot: {}, react: {}, extendTraces: {}};
Object.defineProperty(window, "Plotly", {
  configurable: true,
  get() { return window.__plotly; },
  set(plotly) {
    for (const name of ["newPlot", "react", "extendTraces"]) {
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

# Small, seeded runs: a few seconds each on a busy 2-core machine.
RECALL = {
    "task": "recall",
    "delay": "5",
    "cell": "lstm",
    "hidden_size": "16",
    "steps": "150",
    "probe_every": "10",
    "snapshot_every": "50",
    "seed": "3",
    "lr": "0.02",
}
TIMING_FIELDS = {"elapsed", "eta", "seconds", "estimated_seconds"}


def open_lab(page: Page, settings: dict[str, str] | None = None) -> None:
    page.add_init_script(COUNT_PLOTLY_CALLS)
    page.goto(f"/lab?{urlencode(settings or {})}")
    page.wait_for_selector("body[data-ready='true']", state="attached")


def run_to_end(page: Page, timeout: float = 120_000) -> str:
    """Click Start and wait until the run is over; return how it ended."""
    page.click("#start")
    page.wait_for_selector(
        "body[data-run]:not([data-run='running'])", state="attached", timeout=timeout
    )
    return str(page.locator("body").get_attribute("data-run"))


def url_state(page: Page) -> dict[str, str]:
    """The page's query now (`page.url` may lag behind history.replaceState)."""
    query = urlparse(page.evaluate("location.href")).query
    return {key: values[0] for key, values in parse_qs(query).items()}


def chart_traces(page: Page, chart_id: str) -> list[dict]:
    return page.evaluate(
        "(id) => document.querySelector(`#${id} .plot`).data.map((t) => ({name: t.name,"
        " x: t.x ? Array.from(t.x) : null, y: t.y ? Array.from(t.y) : null, z: t.z || null}))",
        chart_id,
    )


def table_values(page: Page, chart_id: str, count: int) -> list[str]:
    """Open a chart's data table and return the full-precision numbers of its `count` cells
    (`data-value`); the table is filled on the details' toggle event, just after the click."""
    page.locator(f"#{chart_id} details summary").click()
    cells = page.locator(f"#{chart_id} table td")
    expect(cells).to_have_count(count)
    return cells.evaluate_all("(tds) => tds.map((td) => td.dataset.value)")


def read_sse(response: httpx.Response) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a text/event-stream answer."""
    events = []
    for block in response.text.replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        name = next((line[6:].strip() for line in lines if line.startswith("event:")), "message")
        data = [line[5:].removeprefix(" ") for line in lines if line.startswith("data:")]
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


def stream(api: httpx.Client, url: str, body: dict) -> list[tuple[str, dict]]:
    response = api.post(url, json=body, timeout=300)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return read_sse(response)


def per_update(events: list[tuple[str, dict]]) -> dict[str, list]:
    """Loss, gradient norm and clipped flag of every update, from the progress events."""
    series: dict[str, list] = {"update": [], "loss": [], "grad_norm": [], "clipped": []}
    for name, data in events:
        if name != "progress":
            continue
        count = len(data["losses"])
        series["update"] += list(range(data["first_update"], data["first_update"] + count))
        series["loss"] += data["losses"]
        series["grad_norm"] += data["grad_norms"]
        series["clipped"] += data["clipped_flags"]
    return series


def without_timing(value):
    """The events with wall-clock fields removed (they differ between two runs)."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def poll(page: Page, expression: str, done, timeout: float = 60.0):
    """Evaluate `expression` in the page until `done(value)`; return the value. (The page's CSP
    forbids eval, which Playwright's wait_for_function needs.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if done(value) or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(100)


def download(page: Page, button: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.click(button)
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def train_body(settings: dict[str, str]) -> dict:
    """The POST /api/train body the page sends for RECALL-like URL settings."""
    numbers = {
        "delay",
        "hidden_size",
        "steps",
        "probe_every",
        "snapshot_every",
        "seed",
        "num_layers",
        "batch_size",
        "length",
    }
    floats = {"lr", "clip_threshold"}
    body: dict = {
        "num_layers": 1,
        "batch_size": 32,
        "nonlinearity": "tanh",
        "lstm_init": "chrono",
        "optimizer": "adam",
        "clip": "norm",
        "clip_threshold": 1.0,
    }
    for key, value in settings.items():
        body[key] = int(value) if key in numbers else float(value) if key in floats else value
    return body


def test_a_run_streams_into_the_charts(page: Page, api: httpx.Client, tmp_path: Path) -> None:
    open_lab(page, RECALL)
    assert run_to_end(page) == "finished"
    log = json.loads(download(page, "#download-log", tmp_path).read_text())
    events = [(e["event"], e["data"]) for e in log["events"]]
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done"

    # The page sent the URL's settings, and the server's second run of the same seeded
    # request streams the same numbers (every update; only timings and batching differ).
    assert log["request"] == train_body(RECALL)
    again = stream(api, "/api/train", log["request"])
    assert per_update(again) == per_update(events)
    assert per_update(events)["update"] == list(range(1, 151))
    for kind in ("eval", "probe", "snapshot", "done"):
        mine = [without_timing(d) for n, d in events if n == kind]
        theirs = [without_timing(d) for n, d in again if n == kind]
        assert mine == theirs, kind

    # Every chart draws exactly the streamed values.
    series = per_update(events)
    loss = chart_traces(page, "loss-chart")[0]
    assert loss["x"] == series["update"] and loss["y"] == series["loss"]
    norm, clipped = chart_traces(page, "norm-chart")
    assert norm["y"] == series["grad_norm"]
    assert clipped["x"] == [
        u for u, c in zip(series["update"], series["clipped"], strict=True) if c
    ]
    evals = [d for n, d in events if n == "eval"]
    metric = chart_traces(page, "metric-chart")[0]
    assert metric["x"] == [e["update"] for e in evals] == list(range(0, 151, 10))
    assert metric["y"] == [e["value"] for e in evals]
    last_probe = [d for n, d in events if n == "probe"][-1]
    probe_lines = {t["name"]: t["y"] for t in chart_traces(page, "probe-chart")}
    assert probe_lines["‖∂L/∂h‖ at update 150"] == last_probe["grad_h"][0]
    assert probe_lines["‖∂L/∂c‖ at update 150"] == last_probe["grad_c"][0]
    first_probe = next(d for n, d in events if n == "probe")
    assert probe_lines["‖∂L/∂h‖ at update 0"] == first_probe["grad_h"][0]

    # The progress bar and the status line reached the end.
    assert page.locator("#progress").evaluate("(p) => [p.value, p.max]") == [150, 150]
    done = events[-1][1]
    expect(page.locator("#run-status")).to_contain_text("finished at update 150")
    solved = next((e["update"] for e in evals if e["solved"]), None)
    if solved is not None:
        expect(page.locator("#run-status")).to_contain_text(f"solved at update {solved}")

    # The data table alternative holds the same numbers as the chart.
    cells = table_values(page, "metric-chart", len(evals))
    assert [float(v) for v in cells] == [e["value"] for e in evals]

    # Replay: the slider re-draws a snapshot's hidden states and gradient curve.
    snapshots = [d for n, d in events if n == "snapshot"]
    assert [s["update"] for s in snapshots] == [0, 50, 100, 150]
    page.locator("#replay").fill("1")
    expect(page.locator("#replay-label")).to_contain_text("update 50")
    heatmap = chart_traces(page, "replay-heatmap")[0]["z"]
    assert heatmap == [list(column) for column in zip(*snapshots[1]["probe_h"], strict=True)]
    replay_lines = {t["name"]: t["y"] for t in chart_traces(page, "replay-gradient")}
    assert replay_lines["‖∂L/∂h‖ at update 50"] == snapshots[1]["grad_h"][0]

    # The weights download as a safetensors file equal to the spec.
    weights = download(page, "#download-model", tmp_path)
    assert weights.suffix == ".safetensors"
    loaded = load_file(str(weights))
    spec = done["model"]["state_dict"]
    assert sorted(loaded) == sorted(spec)
    for name, tensor in loaded.items():
        assert tensor.dtype == np.float32
        np.testing.assert_array_equal(tensor, np.asarray(spec[name], dtype=np.float32))
    with safe_open(str(weights), framework="numpy") as handle:
        config = json.loads(handle.metadata()["unrolled_config"])
    assert config["cell"] == "lstm" and config["vocab"] == done["model"]["vocab"]

    # A second run re-uses every figure: one Plotly.newPlot per chart, points by extendTraces.
    assert run_to_end(page) == "finished"
    calls = page.evaluate("window.__plotlyCalls")
    assert set(calls["newPlot"]) >= {"loss-chart", "norm-chart", "metric-chart", "probe-chart"}
    assert all(count == 1 for count in calls["newPlot"].values()), calls
    assert calls["extendTraces"]["loss-chart"] >= 2


def test_the_trained_model_opens_in_explore_and_hello(page: Page, api: httpx.Client) -> None:
    open_lab(page, RECALL)
    assert run_to_end(page) == "finished"
    model = page.evaluate(
        "JSON.parse(localStorage.getItem('unrolled:model:lab-recall-delay5-lstm16-seed3'))"
    )
    explore_link = page.locator("#open-explore").get_attribute("href") or ""
    query = parse_qs(urlparse(explore_link).query)
    assert query["model"] == ["local:lab-recall-delay5-lstm16-seed3"]
    text = query["text"][0]
    assert len(text) == 5 + 3 and text[-2] == "?"  # symbol, 5 digits, cue, then the answer

    hello_link = page.locator("#open-hello").get_attribute("href") or ""
    assert parse_qs(urlparse(hello_link).query) == query
    page.click("#open-explore")
    page.wait_for_url("**/explore?**")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    assert page.locator("body").get_attribute("data-error") != "true"
    assert page.locator("#model").input_value() == "local:lab-recall-delay5-lstm16-seed3"

    # /hello steps through the same model: at the cue it predicts what /api/trace says.
    page.go_back()
    page.wait_for_selector("body[data-ready='true']", state="attached")
    assert page.locator("#open-hello").get_attribute("aria-disabled") == "true"  # a new page
    page.goto(hello_link)
    page.wait_for_selector("body[data-ready='true']", state="attached")
    assert page.locator("body").get_attribute("data-error") != "true"
    cue = len(text) - 2
    page.locator("#scrubber").fill(str(cue))
    page.wait_for_selector(f"body[data-step='{cue}'][data-ready='true']", state="attached")
    fields = ("cell", "vocab", "hidden_size", "num_layers", "nonlinearity", "state_dict")
    inline = {k: model[k] for k in fields}
    trace = api.post("/api/trace", json={"model": inline, "text": text}).json()
    probs = trace["probs"][cue]
    predicted = trace["vocab"][probs.index(max(probs))]
    assert page.locator("#prediction").get_attribute("data-predicted") == predicted
    assert page.locator("#prediction").get_attribute("data-target") == text[-1]


def test_a_classifier_trains_live_and_opens_with_its_classes(page: Page, api: httpx.Client) -> None:
    """Sentiment, trained here by a peephole LSTM: the model is a classifier, /hello (a
    next-character page) is not offered, and /explore draws the class probabilities of the
    probe sentence with the numbers /api/trace gives."""
    settings = {"task": "sentiment", "cell": "peephole", "hidden_size": "8", "steps": "20"}
    open_lab(page, {**settings, "probe_every": "10", "snapshot_every": "10", "seed": "1"})
    assert run_to_end(page) == "finished"
    assert page.locator("#open-hello").get_attribute("aria-disabled") == "true"
    expect(page.locator("#model-summary")).to_contain_text("2 classes out")
    link = page.locator("#open-explore").get_attribute("href") or ""
    query = parse_qs(urlparse(link).query)
    name = query["model"][0].removeprefix("local:")
    model = page.evaluate(f"JSON.parse(localStorage.getItem('unrolled:model:{name}'))")
    assert (model["cell"], model["output"], model["classes"]) == (
        "peephole",
        "class",
        ["negative", "positive"],
    )
    page.click("#open-explore")
    page.wait_for_url("**/explore?**")
    page.wait_for_selector("body[data-ready='true']", state="attached")
    assert page.locator("body").get_attribute("data-error") != "true"
    fields = ("cell", "vocab", "hidden_size", "num_layers", "nonlinearity", "state_dict")
    inline = {k: model[k] for k in fields} | {"output": "class", "classes": model["classes"]}
    trace = api.post("/api/trace", json={"model": inline, "text": query["text"][0]}).json()
    drawn = page.evaluate(
        "Array.from(document.querySelector('#chart-classes .plot').data, (t) => Array.from(t.y))"
    )
    expected = [[row[k] for row in trace["probs"]] for k in range(2)]
    for line, want in zip(drawn, expected, strict=True):
        assert line == pytest.approx(want, abs=1e-4)


def test_stop_ends_the_run_where_it_is(page: Page) -> None:
    open_lab(page, {**RECALL, "delay": "20", "steps": "5000", "snapshot_every": "100"})
    page.click("#start")
    page.wait_for_selector("body[data-update]", state="attached", timeout=60_000)
    first = page.locator("#progress").evaluate("(p) => p.value")
    moved = poll(page, "document.querySelector('#progress').value", lambda v: v > first)
    assert moved > first, "the progress bar did not move"
    # The loss curve grows too (drawn in batches, so it may trail the bar a little).
    points = "document.querySelector('#loss-chart .plot').data[0].x.length"
    before = page.evaluate(points)
    assert poll(page, points, lambda n: n > before) > before, "the loss curve did not grow"
    expect(page.locator("#run-status")).to_contain_text("left")

    page.click("#stop")
    page.wait_for_selector("body[data-run='stopped']", state="attached")
    update = int(page.locator("body").get_attribute("data-update") or "0")
    expect(page.locator("#run-status")).to_contain_text(f"stopped at update {update}")
    points = len(chart_traces(page, "loss-chart")[0]["x"])
    assert chart_traces(page, "loss-chart")[0]["x"][-1] == update
    page.wait_for_timeout(1500)
    assert len(chart_traces(page, "loss-chart")[0]["x"]) == points, "points arrived after Stop"
    expect(page.locator("#stop")).to_be_disabled()
    expect(page.locator("#start")).to_be_enabled()
    # The model of the last snapshot is offered.
    expect(page.locator("#model-summary")).to_contain_text("updates")
    assert page.locator("#open-explore").get_attribute("href")


def test_a_learning_rate_too_high_diverges_with_a_message(page: Page) -> None:
    open_lab(page)
    page.get_by_role("button", name="Learning rate too high: it explodes").click()
    state = url_state(page)
    assert (state["task"], state["cell"], state["optimizer"], state["lr"], state["clip"]) == (
        "adding",
        "rnn",
        "sgd",
        "1",
        "off",
    )
    assert run_to_end(page) == "diverged"
    message = page.locator("#error")
    expect(message).to_be_visible()
    expect(message).to_contain_text("diverged at update")
    expect(message).to_contain_text("learning rate")
    update = int(message.inner_text().split("diverged at update ")[1].split(":")[0])
    expect(page.locator("#run-status")).to_contain_text(f"diverged at update {update}")
    # The chart keeps the finite losses before the divergence (not a broken figure).
    loss = chart_traces(page, "loss-chart")[0]
    assert loss["x"][-1] == update
    assert all(v is not None for v in loss["y"][:-1])
    # The adding model reads numbers: it downloads, but /explore and /hello cannot open it.
    assert page.locator("#open-explore").get_attribute("aria-disabled") == "true"
    expect(page.locator("#model-note")).to_contain_text("not a character model")

    page.get_by_role("button", name="clipping stops the explosion").click()
    assert url_state(page)["clip"] == "norm"
    assert run_to_end(page) == "finished"
    expect(page.locator("#error")).to_be_hidden()
    _, clipped = chart_traces(page, "norm-chart")
    assert len(clipped["x"]) > 0, "no update was clipped"


def test_comparison_mode_estimates_then_draws_success_against_delay(
    page: Page, api: httpx.Client
) -> None:
    settings = {
        "mode": "compare",
        "compare_cells": "rnn,lstm",
        "compare_delays": "2,8",
        "compare_seeds": "1",
        "compare_steps": "150",
        "compare_hidden_size": "16",
    }
    open_lab(page, settings)
    page.wait_for_selector("body[data-estimate='ready']", state="attached")
    expect(page.locator("#compare-status")).to_contain_text("4 runs: this will take about")
    expect(page.locator("#train-mode")).to_be_hidden()

    page.click("#compare-start")
    page.wait_for_selector(
        "body[data-compare]:not([data-compare='running'])", state="attached", timeout=180_000
    )
    assert page.locator("body").get_attribute("data-compare") == "done"
    body = {
        "task": "recall",
        "cells": ["rnn", "lstm"],
        "delays": [2, 8],
        "seeds": 1,
        "steps": 150,
        "hidden_size": 16,
        "lr": float(url_state(page)["compare_lr"]),
    }
    events = stream(api, "/api/train/compare", body)
    done = events[-1][1]
    lines = {t["name"]: t["y"] for t in chart_traces(page, "compare-chart")}
    assert lines == {"RNN": done["success"]["rnn"], "LSTM": done["success"]["lstm"]}
    assert chart_traces(page, "compare-chart")[0]["x"] == ["2", "8"]
    runs = [d for n, d in events if n == "run"]
    rows = page.locator("#compare-runs tbody tr")
    expect(rows).to_have_count(len(runs))
    shown = rows.evaluate_all(
        "(trs) => trs.map((tr) => [tr.dataset.cell, Number(tr.dataset.delay),"
        " tr.children[4].textContent])"
    )
    streamed = [[r["cell"], r["delay"], "yes" if r["solved"] else "no"] for r in runs]
    assert sorted(shown) == sorted(streamed)
    # The table alternative of the chart holds the same rates.
    cells = table_values(page, "compare-chart", 4)
    expected = [done["success"][c][k] for k in range(2) for c in ("rnn", "lstm")]
    assert [None if v == "null" else float(v) for v in cells] == expected


def test_the_url_reproduces_the_settings(page: Page, api: httpx.Client) -> None:
    open_lab(page)
    page.locator("#task").select_option("parity")
    page.locator("#length").fill("6")
    page.locator("#cell").select_option("gru")
    page.locator("#hidden_size").fill("12")
    page.locator("#optimizer").select_option("sgd")
    page.locator("#lr").fill("0.3")
    page.locator("#clip").select_option("value")
    page.locator("#clip_threshold").fill("0.5")
    page.locator("#steps").fill("40")
    page.locator("#seed").fill("7")
    state = url_state(page)
    chosen = {
        "task": "parity",
        "length": "6",
        "cell": "gru",
        "hidden_size": "12",
        "optimizer": "sgd",
        "lr": "0.3",
        "clip": "value",
        "clip_threshold": "0.5",
        "steps": "40",
        "seed": "7",
    }
    assert {k: state[k] for k in chosen} == chosen
    expect(page.locator("#delay-label")).to_be_hidden()
    expect(page.locator("#lstm_init-label")).to_be_hidden()

    # A fresh page on the shared link shows the same settings and sends the same run.
    page.goto(page.evaluate("location.href"))
    page.wait_for_selector("body[data-ready='true']", state="attached")
    for key, value in chosen.items():
        assert page.locator(f"#{key}").input_value() == value, key
    with page.expect_request("**/api/train") as request:
        assert run_to_end(page) == "finished"
    sent = request.value.post_data_json
    assert sent["seed"] == 7 and sent["length"] == 6 and "delay" not in sent
    assert {k: str(sent[k]) for k in chosen} == chosen
    # The seed makes the run reproducible: the server trains the same numbers again.
    again = per_update(stream(api, "/api/train", sent))
    drawn = chart_traces(page, "loss-chart")[0]
    assert drawn["x"] == again["update"] and drawn["y"] == again["loss"]


def test_server_errors_are_shown_as_text(page: Page, console: ConsoleWatch) -> None:
    """(A run refused because the server's queue is full: tests/browser/test_lab_queue.py.)"""
    console.allow("status of 422")
    open_lab(page, {**RECALL, "hidden_size": "100000"})
    assert run_to_end(page) == "error"
    expect(page.locator("#error")).to_contain_text("hidden_size is 100000; the limit is")
    expect(page.locator("#run-status")).to_have_text("not started")


def test_keyboard_reaches_the_tabs_and_start(page: Page) -> None:
    open_lab(page)
    tab = page.get_by_role("tab", name="Train one network")
    tab.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Compare the cells")).to_be_focused()
    expect(page.locator("#compare-mode")).to_be_visible()
    assert url_state(page)["mode"] == "compare"
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#train-mode")).to_be_visible()
    page.locator("#start").focus()
    expect(page.locator("#start")).to_be_focused()
