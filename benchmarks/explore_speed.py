"""How live is the gradient explorer? Three cells (RNN, LSTM, GRU), H=64, at T=200 and T=1000.

In one run:
- compute: `models.explorer.explore` in-process, for a new gain (a dragged slider: the
  initialisation is cached) and for a new seed (it is not), against plain PyTorch forward +
  backward of the same three models (`nn.RNN/LSTM/GRU` + readout, loss at the last step),
  float32 and float64;
- HTTP: one POST /api/explore to a real `unrolled serve` process, median latency;
- redraw: in real Chromium on /gradients, the time from moving the gain slider to every chart
  redrawn (`body[data-ready]`), median over several moves, split into the request and the
  render as the page records them (`gradients:request`, `gradients:render` performance
  entries); the issue's target is <= 100 ms at T=200;
- drag: 60 gain positions at one per animation frame (a hand on the slider), how many of them
  the page drew, and how long after the last one the page showed it.

The server runs twice: as `unrolled serve` ships (its BLAS and OpenMP pools at one thread:
OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS = 1, since the explorer's matrices are
small and each request runs in its own worker thread), and with pools of two threads, the
libraries' own default on this machine, for comparison.

Usage: python benchmarks/explore_speed.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import torch
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.explorer import ExploreConfig, build_network, explore, input_text  # noqa: E402
from models.spec import Limits  # noqa: E402
from models.torch_model import build_torch_model, network_state_dict  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.server_process import running_server  # noqa: E402

HIDDEN = 64
CELLS = ("rnn", "lstm", "gru")
STEPS = (200, 1000)
TWO_THREADS = {name: "2" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
SERVERS = {"as shipped (one BLAS/OpenMP thread)": {}, "BLAS/OpenMP pools of 2": TWO_THREADS}

# Move the gain slider as a hand does (an input event), wait until the page reports every
# chart redrawn, and read the page's own split of that redraw.
MOVE = """async (gain) => {
    const slider = document.getElementById("gain");
    const start = performance.now();
    slider.value = gain;
    slider.dispatchEvent(new Event("input", {bubbles: true}));
    while (document.body.dataset.ready !== "true") {
        await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    const [request] = performance.getEntriesByName("gradients:request");
    const [render] = performance.getEntriesByName("gradients:render");
    return {total: performance.now() - start, request: request.duration, render: render.duration};
}"""

# Drag: one new gain per animation frame; count the renders, time the last one.
DRAG = """async (positions) => {
    let renders = 0;
    const observer = new PerformanceObserver((list) => {
        renders += list.getEntriesByName("gradients:render").length;
    });
    observer.observe({type: "measure"});
    const slider = document.getElementById("gain");
    const start = performance.now();
    for (const gain of positions) {
        slider.value = gain;
        slider.dispatchEvent(new Event("input", {bubbles: true}));
        await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    const released = performance.now();
    while (document.body.dataset.ready !== "true") {
        await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    const settled = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    return {renders, seconds: (released - start) / 1000, settle: settled - released};
}"""


def median_ms(run: Callable[[], object], repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def explorations(steps: int, new_seed: bool) -> Callable[[], object]:
    """One exploration per call as the page asks for it (W_hh scaled to sigma_max = gain), each
    with a new gain (a dragged slider: the initialisation is cached) or a new seed (not)."""
    calls = iter(range(10**6))

    def run() -> object:
        k = next(calls)
        seed, gain = (k, 0.9) if new_seed else (0, 0.5 + 0.01 * (k % 100))
        config = ExploreConfig(steps=steps, hidden_size=HIDDEN, scale="sigma", gain=gain, seed=seed)
        return explore(config)

    return run


def plain_pytorch(steps: int, dtype: torch.dtype) -> Callable[[], None]:
    """Forward + backward of the same three models, last-step loss, as one training step."""
    config = ExploreConfig(steps=steps, hidden_size=HIDDEN)
    text, vocab = input_text(config)
    modules = []
    for cell in CELLS:
        net = build_network(cell, config, vocab, Limits())
        module = build_torch_model(net.spec, dtype)
        module.load_state_dict({k: v.to(dtype) for k, v in network_state_dict(net).items()})
        modules.append(module)
    indices = torch.tensor([vocab.index(ch) for ch in text])
    x = torch.nn.functional.one_hot(indices, len(vocab)).to(dtype)

    def run() -> None:
        for module in modules:
            module.zero_grad(set_to_none=True)
            out, _ = module(x[:-1])
            logits = module.get_submodule("readout")(out[-1])
            torch.nn.functional.cross_entropy(logits, indices[-1]).backward()

    return run


def http_ms(url: str, steps: int, repeats: int) -> float:
    """Median latency of POST /api/explore as the page sends it, a new gain each time."""
    body = {"cells": list(CELLS), "steps": steps, "hidden_size": HIDDEN, "scale": "sigma"}
    gains = iter([0.5 + 0.01 * k for k in range(repeats + 1)])
    with httpx.Client(base_url=url, timeout=60) as client:

        def post() -> object:
            return client.post(
                "/api/explore", json={**body, "gain": next(gains)}
            ).raise_for_status()

        return median_ms(post, repeats)


def open_page(page: Page, url: str, steps: int) -> None:
    page.goto(f"{url}/gradients?steps={steps}&hidden_size={HIDDEN}")
    page.wait_for_selector("body[data-ready='true']", state="attached")


def redraw_ms(page: Page, repeats: int) -> dict[str, float]:
    """Median of gain moved -> every chart redrawn, and of its request and render halves."""
    moves = []
    for k in range(repeats + 1):
        gain = f"{0.6 + 0.05 * (k % 10):.2f}"
        if k > 0:  # the first move warms the charts up
            moves.append(page.evaluate(MOVE, gain))
        else:
            page.evaluate(MOVE, gain)
    return {key: statistics.median(m[key] for m in moves) for key in ("total", "request", "render")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    print(f"three cells (rnn, lstm, gru), H={HIDDEN}, median of {args.repeats} (ms)")
    for steps in STEPS:
        dragged = median_ms(explorations(steps, new_seed=False), args.repeats)
        seeded = median_ms(explorations(steps, new_seed=True), args.repeats)
        plain32 = median_ms(plain_pytorch(steps, torch.float32), args.repeats)
        plain64 = median_ms(plain_pytorch(steps, torch.float64), args.repeats)
        print(
            f"T={steps:5d}  explore: new gain {dragged:7.1f}   new seed {seeded:7.1f}   "
            f"plain fwd+bwd float32 {plain32:7.1f}   float64 {plain64:7.1f}   "
            f"ratio (new gain) vs float32 {dragged / plain32:5.2f}  vs float64 "
            f"{dragged / plain64:5.2f}"
        )
    drag = [f"{0.5 + k / 59:.2f}" for k in range(60)]  # 0.5 .. 1.5
    for label, env in SERVERS.items():
        print(f"server {label}")
        with running_server(env=env) as server, sync_playwright() as playwright:
            for steps in STEPS:
                latency = http_ms(server.url, steps, args.repeats)
                print(f"T={steps:5d}  POST /api/explore over HTTP {latency:7.1f}")
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            for steps in STEPS:
                open_page(page, server.url, steps)
                redraw = redraw_ms(page, args.repeats)
                print(
                    f"T={steps:5d}  gain slider moved to every chart redrawn (Chromium) "
                    f"{redraw['total']:7.1f}   request {redraw['request']:7.1f}   "
                    f"render {redraw['render']:7.1f}"
                )
                dragged = page.evaluate(DRAG, drag)
                print(
                    f"T={steps:5d}  drag of {len(drag)} positions in {dragged['seconds']:.2f} s: "
                    f"{dragged['renders']} drawn ({dragged['renders'] / dragged['seconds']:.1f}"
                    f" per s), the last one {dragged['settle']:.0f} ms after release"
                )
            browser.close()


if __name__ == "__main__":
    main()
