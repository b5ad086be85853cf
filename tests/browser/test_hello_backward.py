"""The backward phase of /hello in real Chromium: backpropagation through time step by step.
Every number the page shows is read from the DOM (the equations' `data-values`, the loss
table's `data-value`) and compared with GET /api/trace?backward=true of the same text, and
with NumPy on the model's weights from GET /api/models/{id}; the SGD step with a POST of the
updated weights computed here."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser

# The full-precision numbers of a tensor in the backward equations, and what the page writes:
# the numbers in its cells and the power of ten before it (10^k · [...]), if any.
READ_TENSOR = """
(name) => {
  const table = document.querySelector(`main mtable[data-name="${name}"]`);
  if (!table) return null;
  const parent = table.parentElement;
  const power = parent.localName === "mrow" && parent.firstElementChild.localName === "msup"
    ? parent.firstElementChild.lastElementChild.textContent : "0";
  const number = (text) => Number(text.replace("\\u2212", "-"));
  const shown = [...table.children].map(
    (tr) => [...tr.querySelectorAll("mn")].map((mn) => number(mn.textContent)));
  return {values: JSON.parse(table.getAttribute("data-values")), shown, exponent: number(power)};
}
"""


def wait_ready(page: Page) -> None:
    page.wait_for_selector("body[data-ready='true']", state="attached")


def step_with(page: Page, action) -> None:
    action()
    wait_ready(page)


def open_hello(page: Page, query: str = "") -> None:
    page.goto(f"/hello{query}")
    wait_ready(page)


def backward_trace(api: httpx.Client, model: str, text: str) -> dict:
    params = {"model": model, "text": text, "projections": "true", "backward": "true"}
    response = api.get("/api/trace", params=params)
    response.raise_for_status()
    return response.json()


def model_detail(api: httpx.Client, model: str) -> dict:
    response = api.get(f"/api/models/{model}")
    response.raise_for_status()
    return response.json()


def url_state(page: Page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def tensor(page: Page, name: str) -> np.ndarray:
    """A tensor the page shows, at full precision; checks that its written numbers are it,
    rounded to the decimals shown (3) after the power of ten shown."""
    found = page.evaluate(READ_TENSOR, name)
    assert found is not None, f"the page shows no tensor {name!r}"
    values = np.array(found["values"], dtype=float)
    shown = np.array(found["shown"], dtype=float).reshape(values.shape)
    scale = 10.0 ** found["exponent"]
    np.testing.assert_allclose(shown * scale, values, rtol=0, atol=0.5e-3 * scale + 1e-15)
    return values


def assert_close(actual: np.ndarray, expected, what: str) -> None:
    np.testing.assert_allclose(
        actual, np.array(expected, dtype=float), rtol=1e-9, atol=1e-15, err_msg=what
    )


def assert_backward_view(
    page: Page, api: httpx.Client, model: str, text: str, t: int, notation: str = "cs231n"
) -> None:
    """What the page shows at backward step t equals the API's backward trace at step t."""
    trace = backward_trace(api, model, text)
    weights = model_detail(api, model)["state_dict"]
    grads = trace["grads"][0]
    count = len(text)

    # State: in the body, the URL and the controls; the backward panels instead of the forward one.
    assert page.evaluate("document.body.dataset.phase") == "backward"
    assert page.evaluate("document.body.dataset.step") == str(t)
    state = url_state(page)
    assert (state["model"], state["text"], state["phase"], state["step"]) == (
        model,
        text,
        "backward",
        str(t),
    )
    assert state["notation"] == notation
    assert page.locator("#scrubber").input_value() == str(2 * count - 1 - t)
    expect(page.locator("#step-label")).to_contain_text(f"Backward: t = {t} of {count - 1}")
    expect(page.locator("#phase-backward")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#backward-step")).to_be_visible()
    expect(page.locator("#sgd")).to_be_visible()
    expect(page.locator("#forward-step")).to_be_hidden()

    # The diagram: lit from the last step down to t, the gradient's arrows on the visited steps.
    expect(page.locator(".diagram")).to_have_class(re.compile(r"\bbackward\b"))
    visited = page.locator(".diagram-step.visited").evaluate_all(
        "(gs) => gs.map((g) => Number(g.dataset.step))"
    )
    assert visited == list(range(t, count))
    assert page.locator(".diagram-step.current").get_attribute("data-step") == str(t)
    with_loss = [s for s in range(t, count) if trace["loss"][s] is not None]
    from_later = list(range(t, count - 1))
    arrows = page.locator(".diagram-grad").evaluate_all(
        "(ls) => ls.filter((l) => getComputedStyle(l).display !== 'none').length"
    )
    assert arrows == 2 * len(with_loss) + len(from_later)

    # The loss at each step and the total.
    for s, loss in enumerate(trace["loss"]):
        cell = page.locator(f"#loss-table td[data-step='{s}']")
        if loss is None:
            expect(cell).to_have_text("—")
        else:
            assert float(cell.get_attribute("data-value") or "nan") == loss
    total = page.locator("#loss-table td[data-step='total']").get_attribute("data-value")
    assert float(total or "nan") == trace["total_loss"]

    # dL_t/dy_t = p_t - onehot(target).
    dy = tensor(page, "dlogits")
    assert_close(dy, trace["dlogits"][t], "dlogits")
    if trace["targets"][t] is not None:
        onehot = [1.0 if ch == trace["targets"][t] else 0.0 for ch in trace["vocab"]]
        assert_close(dy, np.array(trace["probs"][t]) - onehot, "p - onehot")

    # dL/dh_t = W_out^T dlogits_t (this step's output) + what comes back from step t+1.
    dh = tensor(page, "dh")
    out = tensor(page, "dh_out")
    future = tensor(page, "dh_future")
    assert_close(dh, grads["dh"][t], "dh")
    assert_close(
        out, np.array(weights["readout.weight"]).T @ np.array(trace["dlogits"][t]), "output term"
    )
    np.testing.assert_allclose(out + future, dh, rtol=0, atol=1e-15)
    if t == count - 1:
        np.testing.assert_allclose(future, 0.0, atol=1e-15)

    # The local derivatives, down to each gate's pre-activation.
    for gate, rows in grads["dpre"].items():
        assert_close(tensor(page, f"dpre_{gate}"), rows[t], f"dpre {gate}")
    if trace["cell"] == "rnn":
        slope = 1.0 - np.array(trace["layers"][0]["h"][t]) ** 2
        assert_close(tensor(page, "slope"), slope, "1 - h^2")
        np.testing.assert_allclose(dh * slope, grads["dpre"]["a"][t], rtol=1e-9, atol=1e-18)
    if trace["cell"] == "lstm":
        assert_close(tensor(page, "dc"), grads["dc"][t], "dc")

    # Step t's term of dL/dW_hh: an outer product with h_{t-1}.
    h_prev = trace["layers"][0]["h"][t - 1] if t > 0 else [0.0] * trace["hidden_size"]
    assert_close(tensor(page, "h_prev_row"), h_prev, "h_{t-1}")
    by_step = trace["weight_grads"]["weight_hh_l0"]["by_step"]
    assert_close(tensor(page, "dW_hh_step"), by_step[t], "W_hh term")
    if trace["cell"] == "rnn":
        np.testing.assert_allclose(
            np.outer(grads["dpre"]["a"][t], h_prev), by_step[t], rtol=1e-9, atol=1e-18
        )

    # Each weight's gradient summed over the visited steps, t to T-1: the sum of by_step.
    for name, grad in trace["weight_grads"].items():
        steps = np.array(grad["by_step"], dtype=float)
        assert_close(tensor(page, f"step:{name}"), steps[t], f"{name} at step {t}")
        np.testing.assert_allclose(
            tensor(page, f"sum:{name}"), steps[t:].sum(axis=0), rtol=1e-9, atol=1e-15
        )
        if t < count - 1:
            np.testing.assert_allclose(
                tensor(page, f"sum_prev:{name}"), steps[t + 1 :].sum(axis=0), rtol=1e-9, atol=1e-15
            )
        if t == 0:
            np.testing.assert_allclose(
                tensor(page, f"sum:{name}"), grad["total"], rtol=1e-9, atol=1e-15
            )
    expect(page.locator("#sum-note")).to_contain_text(
        "The same weights at every step, so their gradients add up"
    )


def test_steps_into_the_backward_pass_by_keyboard(page: Page, api: httpx.Client) -> None:
    open_hello(page, "?step=3")
    step_with(page, lambda: page.keyboard.press("ArrowRight"))
    assert page.evaluate("document.body.dataset.phase") == "forward"
    expect(page.locator("#forward")).to_be_enabled()

    # After the last step forward, stepping on goes backward from the last step to the first.
    step_with(page, lambda: page.keyboard.press("ArrowRight"))
    assert_backward_view(page, api, "hello-rnn", "hello", 4)
    for t in (3, 2, 1):
        step_with(page, lambda: page.keyboard.press("PageDown"))  # a clicker's "next"
        assert_backward_view(page, api, "hello-rnn", "hello", t)
    step_with(page, lambda: page.click("#forward"))
    assert_backward_view(page, api, "hello-rnn", "hello", 0)
    expect(page.locator("#forward")).to_be_disabled()
    expect(page.locator("#sum-note")).to_contain_text("the whole gradient")

    # Back along the same timeline: ← goes to the later steps, then into the forward pass.
    step_with(page, lambda: page.keyboard.press("ArrowLeft"))
    assert_backward_view(page, api, "hello-rnn", "hello", 1)
    step_with(page, lambda: page.keyboard.press("Home"))
    assert (url_state(page)["phase"], url_state(page)["step"]) == ("forward", "0")
    expect(page.locator("#backward-step")).to_be_hidden()
    expect(page.locator("#forward-step")).to_be_visible()
    expect(page.locator(".diagram")).not_to_have_class(re.compile(r"\bbackward\b"))


@pytest.mark.parametrize("model", ["hello-lstm", "hello-gru"])
def test_gated_cells_backward(page: Page, api: httpx.Client, model: str) -> None:
    open_hello(page, f"?model={model}&phase=backward&step=4")
    assert_backward_view(page, api, model, "hello", 4)
    step_with(page, lambda: page.keyboard.press("ArrowRight"))
    step_with(page, lambda: page.keyboard.press("ArrowRight"))
    assert_backward_view(page, api, model, "hello", 2)
    # The gates' equations name each gate's pre-activation gradient.
    gates = {"hello-lstm": "ifgo", "hello-gru": "rzn"}[model]
    for gate in gates:
        expect(
            page.locator(f"#backward-equations math[alttext='gradient of gate {gate}']")
        ).to_have_count(1)


@pytest.mark.parametrize(
    ("query", "model", "text", "step", "notation"),
    [
        ("?phase=backward&step=3", "hello-rnn", "hello", 3, "cs231n"),
        (
            "?model=hello-gru&text=hell&phase=backward&step=1&notation=jm",
            "hello-gru",
            "hell",
            1,
            "jm",
        ),
        (
            "?model=hello-lstm&phase=backward&step=99&notation=pytorch",
            "hello-lstm",
            "hello",
            4,
            "pytorch",
        ),
        ("?phase=backward&step=-2", "hello-rnn", "hello", 0, "cs231n"),
    ],
)
def test_url_reproduces_the_backward_view(
    page: Page, api: httpx.Client, query: str, model: str, text: str, step: int, notation: str
) -> None:
    open_hello(page, query)
    assert page.input_value("#notation") == notation
    assert_backward_view(page, api, model, text, step, notation)


def test_notation_names_the_weights_going_backward(page: Page) -> None:
    open_hello(page, "?phase=backward&step=2&notation=jm")
    line = page.locator(
        "#backward-equations math[alttext=\"step t's term of the recurrent weights' gradient\"]"
    )
    expect(line).to_contain_text("U(t)")
    expect(
        page.locator("#backward-equations math[alttext='hidden state gradient']")
    ).to_contain_text("V⊤")
    step_with(page, lambda: page.select_option("#notation", "pytorch"))
    expect(line).to_contain_text("Whh(t)")
    assert url_state(page)["phase"] == "backward"


def test_the_diagram_selects_a_step_of_the_backward_pass(page: Page, api: httpx.Client) -> None:
    open_hello(page, "?phase=backward&step=4")
    step_with(page, lambda: page.locator(".diagram-step[data-step='1'] .diagram-cell").click())
    assert_backward_view(page, api, "hello-rnn", "hello", 1)
    step_with(page, lambda: page.click("#phase-forward"))
    assert (url_state(page)["phase"], url_state(page)["step"]) == ("forward", "0")
    step_with(page, lambda: page.click("#phase-backward"))
    assert (url_state(page)["phase"], url_state(page)["step"]) == ("backward", "4")


@pytest.mark.parametrize(("model", "lr"), [("hello-rnn", 0.5), ("hello-lstm", 2.0)])
def test_one_sgd_step_lowers_the_loss(page: Page, api: httpx.Client, model: str, lr: float) -> None:
    open_hello(page, f"?model={model}&phase=backward&step=0")
    page.fill("#lr", str(lr))
    expect(page).to_have_url(re.compile(rf"[?&]lr={re.escape(str(lr))}(&|$)"))
    step_with(page, lambda: page.click("#sgd-apply"))
    result = page.locator("#sgd-result")
    expect(result).to_have_attribute("data-after", re.compile(r"^\d"))

    # The same update, by NumPy here: W - lr * dL/dW for every weight, then a POST of it.
    detail = model_detail(api, model)
    trace = backward_trace(api, model, "hello")
    updated = {
        name: (np.array(w) - lr * np.array(trace["weight_grads"][name]["total"])).tolist()
        for name, w in detail["state_dict"].items()
    }
    spec = {
        key: detail[key] for key in ("cell", "vocab", "hidden_size", "num_layers", "nonlinearity")
    }
    response = api.post(
        "/api/trace", json={"model": {**spec, "state_dict": updated}, "text": "hello"}
    )
    response.raise_for_status()
    after = response.json()["total_loss"]

    shown_before = float(result.get_attribute("data-before") or "nan")
    shown_after = float(result.get_attribute("data-after") or "nan")
    assert shown_before == trace["total_loss"]
    assert shown_after == pytest.approx(after, rel=1e-9)
    assert shown_after < shown_before
    expect(result.locator(".sgd-loss")).to_contain_text("lower")
    for name in ("weight_ih_l0", "weight_hh_l0", "readout.weight"):
        assert_close(tensor(page, f"before:{name}"), detail["state_dict"][name], f"{name} before")
        assert_close(tensor(page, f"after:{name}"), updated[name], f"{name} after")
        assert_close(
            tensor(page, f"change:{name}"),
            lr * np.array(trace["weight_grads"][name]["total"]),
            name,
        )

    # Another learning rate makes the shown update stale: it goes.
    page.fill("#lr", "0.1")
    expect(result).to_be_empty()


def test_a_bad_learning_rate_is_said_so(page: Page) -> None:
    open_hello(page, "?phase=backward&step=2")
    page.fill("#lr", "0")
    step_with(page, lambda: page.click("#sgd-apply"))
    expect(page.locator("#sgd-error")).to_contain_text("learning rate")
    assert page.evaluate("document.body.dataset.error") == "true"
    page.fill("#lr", "1")
    step_with(page, lambda: page.click("#sgd-apply"))
    expect(page.locator("#sgd-error")).to_be_hidden()
    expect(page.locator("#sgd-result .sgd-loss")).to_contain_text("lower")


def test_a_refused_update_shows_the_servers_message(page: Page, console: ConsoleWatch) -> None:
    console.allow(r"status of 422")
    open_hello(page, "?phase=backward&step=0")
    page.route(
        "**/api/trace",
        lambda route: route.fulfill(
            status=422,
            content_type="application/json",
            body='{"detail": [{"loc": ["body", "model", "state_dict"], '
            '"msg": "state_dict is refused"}]}',
        ),
    )
    step_with(page, lambda: page.click("#sgd-apply"))
    expect(page.locator("#sgd-error")).to_contain_text("state_dict is refused")
    assert page.locator("#sgd-error").get_attribute("data-field") == "model.state_dict"


@pytest.mark.parametrize("width", [390, 1366, 1920])
def test_no_sideways_scroll(browser: Browser, base_url: str, width: int) -> None:
    """The page never scrolls sideways; a long equation or matrix scrolls in its own box."""
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=base_url)
    page = context.new_page()
    try:
        for model in ("hello-rnn", "hello-lstm"):
            open_hello(page, f"?model={model}&phase=backward&step=1")
            step_with(page, lambda: page.click("#sgd-apply"))
            expect(page.locator("#sgd-result .sgd-loss")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            boxes = page.locator(
                "#backward-step .equations, #sgd .equations, #diagram"
            ).evaluate_all("(es) => es.map((e) => getComputedStyle(e).overflowX)")
            assert set(boxes) == {"auto"}
    finally:
        context.close()
