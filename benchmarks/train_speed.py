"""Updates per second of the lab's training loop against a plain PyTorch loop, in one run, and
the wall time of the comparison mode at classroom scale.

For the hello and adding tasks (an LSTM, H = 32, batch 32, Adam, 500 updates):

- lab:    `models.training.train` with everything the page gets: the gradient norm of every
          update, progress events, the held-out metric and the exact probe gradient curve
          (float64, scaled) every 25 updates, a snapshot every 50;
- plain:  the same model (same initial weights), the same batches, the same optimiser and loss,
          in the shortest PyTorch loop: zero_grad, forward, loss, backward, step, loss.item().

Both on one torch thread, as the server trains. Prints the median of repeated runs; the last
line is `lab/plain ratio: hello .. adding ..` (target <= 1.5). Then the comparison mode
(3 cells x 4 delays x 2 seeds, its defaults) with its success table, its estimate and its time.

Usage: python benchmarks/train_speed.py [--repeats N] [--steps N] [--skip-compare]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.compare import CompareConfig, compare, estimate  # noqa: E402
from models.tasks import make_task  # noqa: E402
from models.training import TrainConfig, build_module, train  # noqa: E402

TASKS = {"hello": {"task": "hello"}, "adding": {"task": "adding", "length": 30}}


def lab_seconds(config: TrainConfig) -> float:
    """Wall time from the start event to the done event (model building excluded)."""
    start = 0.0
    for event in train(config):
        if event.kind == "start":
            start = time.perf_counter()
    return time.perf_counter() - start


def plain_seconds(config: TrainConfig) -> float:
    """The same updates in a plain loop: same initial weights, batches, optimiser and loss."""
    task = make_task(config.task, config.delay, config.length)
    module = build_module(config, task)
    readout = module.get_submodule("readout")
    optimizer = torch.optim.Adam(module.parameters(), lr=config.lr)
    rng = np.random.default_rng((config.seed, 0))
    start = time.perf_counter()
    for _ in range(config.steps):
        batch = task.batch(rng, config.batch_size)
        targets = torch.from_numpy(batch.targets)
        if task.vocab is None:
            outputs = readout(module(torch.from_numpy(batch.inputs))[0])  # (T, B, 1)
            loss = F.mse_loss(outputs[-1, :, 0], targets)
        else:
            x = F.one_hot(torch.from_numpy(batch.inputs), task.input_size).float()  # (T, B, V)
            outputs = readout(module(x)[0])  # (T, B, V)
            loss = F.cross_entropy(outputs.reshape(-1, task.output_size), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss.item()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--skip-compare", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ratios = {}
    for name, settings in TASKS.items():
        config = TrainConfig(**settings, steps=args.steps, estimate=False)
        lab_seconds(TrainConfig(**settings, steps=20, estimate=False))
        labs, plains = [], []
        for _ in range(args.repeats):  # interleaved, so machine load hits both alike
            plains.append(plain_seconds(config))
            labs.append(lab_seconds(config))
        lab, plain = statistics.median(labs), statistics.median(plains)
        ratios[name] = lab / plain
        print(
            f"{name:7s} lab {args.steps / lab:7.1f} updates/s   plain {args.steps / plain:7.1f} "
            f"updates/s   (median of {args.repeats}, {args.steps} updates)"
        )
    print("lab/plain ratio: " + " ".join(f"{name} {r:.2f}" for name, r in ratios.items()))
    if args.skip_compare:
        return
    config = CompareConfig()
    predicted = estimate(config)
    start = time.perf_counter()
    done: dict = {}
    runs = 0
    for event in compare(config):
        runs += event.kind == "run"
        if event.kind == "done":
            done = event.data
    seconds = time.perf_counter() - start
    print(
        f"comparison: {runs} runs ({len(config.cells)} cells x {len(config.delays)} delays x "
        f"{config.seeds} seeds, {config.steps} updates each at most)"
    )
    print("  success rate by delay " + "  ".join(f"D={d:<3d}" for d in done["delays"]))
    for cell, rates in done["success"].items():
        print(f"  {cell:4s}                  " + "  ".join(f"{r:5.2f}" for r in rates))
    print(f"comparison wall time: {seconds:.1f} s (estimate, an upper bound: {predicted:.1f} s)")


if __name__ == "__main__":
    main()
