"""How live is the gradient explorer? Three cells (RNN, LSTM, GRU), H=64, at T=200 and T=1000.

In one run:
- compute: `models.explorer.explore` in-process against plain PyTorch forward + backward of the
  same three models (`nn.RNN/LSTM/GRU` + readout, loss at the last step), float32 and float64;
- HTTP: one POST /api/explore to a real `unrolled serve` process, median latency;
- redraw: in real Chromium on /gradients, the time from moving the gain slider to every chart
  redrawn (request + render, `body[data-ready]`), median over several moves at T=200.

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
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.explorer import ExploreConfig, build_network, explore, input_text  # noqa: E402
from models.spec import Limits  # noqa: E402
from models.torch_model import build_torch_model, network_state_dict  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.server_process import running_server  # noqa: E402

HIDDEN = 64
CELLS = ("rnn", "lstm", "gru")


def median_ms(run: Callable[[], object], repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


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
    body = {"cells": list(CELLS), "steps": steps, "hidden_size": HIDDEN}
    with httpx.Client(base_url=url, timeout=60) as client:
        return median_ms(lambda: client.post("/api/explore", json=body).raise_for_status(), repeats)


def redraw_ms(url: str, repeats: int) -> float:
    """Median time from a gain change to the page reporting every chart redrawn, T=200."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{url}/gradients?steps=200&hidden_size={HIDDEN}")
        page.wait_for_selector("body[data-ready='true']", state="attached")
        times = []
        for k in range(repeats + 1):
            gain = f"{0.6 + 0.05 * (k % 10):.2f}"
            elapsed = page.evaluate(
                """async (gain) => {
                    const slider = document.getElementById("gain");
                    const start = performance.now();
                    slider.value = gain;
                    slider.dispatchEvent(new Event("input", {bubbles: true}));
                    while (document.body.dataset.ready !== "true") {
                        await new Promise((resolve) => requestAnimationFrame(resolve));
                    }
                    return performance.now() - start;
                }""",
                gain,
            )
            if k > 0:  # the first move warms the charts up
                times.append(elapsed)
        browser.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    print(f"three cells (rnn, lstm, gru), H={HIDDEN}, median of {args.repeats} (ms)")
    for steps in (200, 1000):
        ours = median_ms(
            lambda s=steps: explore(ExploreConfig(steps=s, hidden_size=HIDDEN)), args.repeats
        )
        plain32 = median_ms(plain_pytorch(steps, torch.float32), args.repeats)
        plain64 = median_ms(plain_pytorch(steps, torch.float64), args.repeats)
        print(
            f"T={steps:5d}  explore {ours:7.1f}   plain fwd+bwd float32 {plain32:7.1f}   "
            f"float64 {plain64:7.1f}   ratio vs float32 {ours / plain32:5.2f}  "
            f"vs float64 {ours / plain64:5.2f}"
        )
    with running_server() as server:
        for steps in (200, 1000):
            latency = http_ms(server.url, steps, args.repeats)
            print(f"T={steps:5d}  POST /api/explore over HTTP {latency:7.1f}")
        redraw = redraw_ms(server.url, args.repeats)
        print(f"T=  200  gain slider moved to every chart redrawn (Chromium) {redraw:7.1f}")


if __name__ == "__main__":
    main()
