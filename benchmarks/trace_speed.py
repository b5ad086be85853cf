"""How long a full trace takes, against plain PyTorch and the naive autograd loop, in one run.

For each cell at T=200 steps, H=64 hidden units, V=32 characters, one layer:

- trace:  `models.trace.trace` — every internal (h, c, gates, logits, probs, loss) and every
          per-step log10 gradient norm, float64;
- plain:  `nn.RNN/LSTM/GRU` + readout forward, summed cross-entropy, backward, float32 — what a
          training step costs, with no internals kept (the peephole LSTM: `models/peephole.py`,
          a Python loop over steps, as torch.nn has no fused peephole cell);
- naive:  the stepwise autograd loop that retains every h_t's gradient (float64), the obvious
          way to get what the trace reports.

Prints the median of repeated runs; the last line is
`trace/plain ratio: rnn .. lstm .. gru .. peephole ..`.
Usage: python benchmarks/trace_speed.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.spec import make_spec  # noqa: E402
from models.torch_model import build_torch_model, network_from_torch, readout_logits  # noqa: E402
from models.trace import trace  # noqa: E402
from tests.autograd_reference import autograd_grads  # noqa: E402

STEPS, HIDDEN = 200, 64
VOCAB = tuple(string.ascii_lowercase + " .,;:!")  # 32 characters


def median_ms(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def plain_step(module: torch.nn.Module, x: torch.Tensor, targets: torch.Tensor) -> None:
    """Forward + summed cross-entropy + backward, float32, as in training."""
    module.zero_grad(set_to_none=True)
    logits = readout_logits(module, x)  # (T, V)
    torch.nn.functional.cross_entropy(logits[:-1], targets, reduction="sum").backward()


def time_cell(
    cell: str, text: str, indices: torch.Tensor, one_hot: torch.Tensor, repeats: int
) -> tuple[float, float, float]:
    """Median ms of the trace, the plain float32 step and the naive loop, on the same weights."""
    torch.manual_seed(0)
    spec = make_spec(cell, VOCAB, HIDDEN)
    module32 = build_torch_model(spec, torch.float32)
    module64 = build_torch_model(spec, torch.float64)
    module64.load_state_dict(module32.state_dict())
    net = network_from_torch(spec, module32)
    t_trace = median_ms(lambda: trace(net, text), repeats)
    t_plain = median_ms(lambda: plain_step(module32, one_hot, indices[1:]), repeats)
    t_naive = median_ms(lambda: autograd_grads(module64, indices), max(3, repeats // 5))
    return t_trace, t_plain, t_naive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    text = "".join(rng.choice(VOCAB, size=STEPS))
    indices = torch.tensor([VOCAB.index(ch) for ch in text])
    one_hot = torch.nn.functional.one_hot(indices, len(VOCAB)).float()  # (T, V)
    print(
        f"T={STEPS} H={HIDDEN} V={len(VOCAB)}, torch threads {torch.get_num_threads()}, "
        f"median of {args.repeats} runs (ms)"
    )
    ratios, naive_ratios = {}, {}
    for cell in ("rnn", "lstm", "gru", "peephole"):
        t_trace, t_plain, t_naive = time_cell(cell, text, indices, one_hot, args.repeats)
        ratios[cell] = t_trace / t_plain
        naive_ratios[cell] = t_naive / t_plain
        print(f"{cell:8s}  trace {t_trace:7.2f}   plain {t_plain:7.2f}   naive {t_naive:7.2f}")
    print("naive/plain ratio: " + " ".join(f"{c} {r:.2f}" for c, r in naive_ratios.items()))
    print("trace/plain ratio: " + " ".join(f"{c} {r:.2f}" for c, r in ratios.items()))


if __name__ == "__main__":
    main()
