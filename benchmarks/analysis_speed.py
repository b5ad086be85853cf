"""How long the trace analysis takes, against the trace itself and plain autograd, in one run.

For each cell at T=300 steps, H=96 hidden units, 2 layers, V=93 characters (the size of the
zoo's code models):

- analysis:  `models.analysis.analyse` — connectivity for every cursor (T^2/2 log10 norms, one
             batched backward pass), saturation, features, correlations; float64;
- trace:     `models.trace.trace` — every internal and per-step gradient norm, float64;
- autograd:  the plain way to get the connectivity: `nn.RNN/LSTM/GRU` forward in float64 and
             one `torch.autograd.grad` per cursor step (T backward passes).

Prints the median of repeated runs; the last line is
`analysis/autograd ratio: rnn .. lstm .. gru ..` (below 1: the batched pass is faster).
Usage: python benchmarks/analysis_speed.py [--repeats N] [--steps T]
"""

from __future__ import annotations

import argparse
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.analysis import analyse  # noqa: E402
from models.spec import make_spec  # noqa: E402
from models.torch_model import build_torch_model, network_from_torch, readout_logits  # noqa: E402
from models.trace import trace  # noqa: E402

HIDDEN, LAYERS = 96, 2
VOCAB = tuple(string.printable[:93])


def median_ms(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def autograd_connectivity(module: torch.nn.RNNBase, x: torch.Tensor, targets: list[int]) -> None:
    """|| d logit_t[k_t] / d x_s || for every t and s <= t, one backward per cursor t."""
    x = x.clone().requires_grad_()
    logits = readout_logits(module, x)  # (T, V)
    for t, k in enumerate(targets):
        (grad,) = torch.autograd.grad(logits[t, k], x, retain_graph=True)
        grad[: t + 1].norm(dim=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    indices = torch.randint(0, len(VOCAB), (args.steps,), generator=generator)
    text = "".join(VOCAB[i] for i in indices)
    x = torch.nn.functional.one_hot(indices, len(VOCAB)).double()
    targets = [*indices[1:].tolist(), 0]
    ratios = {}
    print(f"T={args.steps} H={HIDDEN} L={LAYERS} V={len(VOCAB)}, median of {args.repeats}, ms")
    for cell in ("rnn", "lstm", "gru"):
        torch.manual_seed(0)
        spec = make_spec(cell, VOCAB, HIDDEN, LAYERS)
        module = build_torch_model(spec, torch.float64)
        net = network_from_torch(spec, module)
        analysis = median_ms(lambda net=net: analyse(net, text), args.repeats)
        traced = median_ms(lambda net=net: trace(net, text), args.repeats)
        autograd = median_ms(
            lambda module=module: autograd_connectivity(module, x, targets), args.repeats
        )
        ratios[cell] = analysis / autograd
        print(f"{cell}: analysis {analysis:.0f}  trace {traced:.0f}  autograd {autograd:.0f}")
    print("analysis/autograd ratio: " + " ".join(f"{c} {r:.2f}" for c, r in ratios.items()))


if __name__ == "__main__":
    main()
