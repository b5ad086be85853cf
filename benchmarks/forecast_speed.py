"""How long a series model's trace and free-running forecast take, against plain PyTorch, in
one run.

The zoo's `series-lstm` (H=32) over a generated walk of T=200 steps:

- trace:    `models.trace.trace` — every internal and every per-step log10 gradient norm of
            the squared-error loss, float64;
- forecast: `models.forecast.free_running` from step 100, 100 steps each reading the last
            prediction, float64 (a torch module stepped one step at a time);
- plain:    `nn.LSTM` + readout forward over the whole series, squared error, backward,
            float32 — what a training step costs, with no internals kept;
- loop:     `nn.LSTM` + readout stepped one step at a time over 100 steps, float32, no grad —
            the reference for the forecast, which cannot be run all at once.

Prints the median of repeated runs; the last line is
`ratios: trace/plain .. forecast/loop ..`.
Usage: python benchmarks/forecast_speed.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.forecast import free_running  # noqa: E402
from models.series import make_series, written  # noqa: E402
from models.torch_model import build_torch_model, network_state_dict, readout_logits  # noqa: E402
from models.trace import trace  # noqa: E402
from models.zoo import load_zoo  # noqa: E402

STEPS, START = 200, 100


def median_ms(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    net = load_zoo()["series-lstm"].net
    text = written(make_series("walk", STEPS, seed=3))[1]
    values = net.encode(text)  # (T, 1), the numbers as written
    module = build_torch_model(net.spec, torch.float32)
    module.load_state_dict({k: v.float() for k, v in network_state_dict(net).items()})
    x = torch.from_numpy(values).float()  # (T, 1)

    def plain() -> None:
        module.zero_grad(set_to_none=True)
        y = readout_logits(module, x[:-1])
        ((y - x[1:]) ** 2).sum().backward()

    def loop() -> None:
        readout = module.get_submodule("readout")
        with torch.no_grad():
            output, state = module(x[:START])
            for _ in range(STEPS - START):
                output, state = module(readout(output[-1:]), state)

    print(
        f"series-lstm H={net.spec.hidden_size} T={STEPS}, forecast from {START}, "
        f"torch threads {torch.get_num_threads()}, median of {args.repeats} runs (ms)"
    )
    timings = {
        "trace": median_ms(lambda: trace(net, text), args.repeats),
        "forecast": median_ms(
            lambda: free_running(net, values, START, STEPS - START), args.repeats
        ),
        "plain": median_ms(plain, args.repeats),
        "loop": median_ms(loop, args.repeats),
    }
    print("  ".join(f"{name} {ms:.2f}" for name, ms in timings.items()))
    print(
        f"ratios: trace/plain {timings['trace'] / timings['plain']:.2f} "
        f"forecast/loop {timings['forecast'] / timings['loop']:.2f}"
    )


if __name__ == "__main__":
    main()
