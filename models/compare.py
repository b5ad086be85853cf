"""Comparison mode: RNN vs LSTM vs GRU on a long-range task, success rate against delay.

For every delay D, seed s and cell, one training run (`training.py`) on delayed recall with D
distractors (or the adding problem with T = D steps), with the same budget, hidden size and
Adam learning rate for every cell. A run succeeds when its held-out metric reaches the task's
threshold at one of its evals (every `eval_every` updates); it stops there. The result is, per
cell, the share of seeds that succeeded at each delay: the lecture's claim that gated cells
learn dependencies a vanilla RNN cannot, measured.

The defaults are sized for a classroom: 3 cells x 4 delays x 2 seeds end in about a minute on a
2-core laptop, and show the claim (measured in benchmarks/train_speed.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

from models.spec import Cell
from models.tasks import make_task
from models.training import Event, TrainConfig, estimate_update_seconds, train

CompareTask = Literal["recall", "adding"]


@dataclass(frozen=True)
class CompareConfig:
    task: CompareTask = "recall"
    cells: tuple[Cell, ...] = ("rnn", "lstm", "gru")
    delays: tuple[int, ...] = (5, 10, 20, 50)  # recall: distractors D; adding: length T
    seeds: int = 2  # runs per cell and delay, seeds 0 .. seeds-1
    steps: int = 600  # update budget of each run
    hidden_size: int = 32
    lr: float = 0.02  # Adam
    batch_size: int = 32
    eval_every: int = 25  # updates between held-out evals (a run stops at its first success)
    time_limit: float | None = None  # seconds for the whole comparison; None: no limit


def run_configs(config: CompareConfig) -> list[TrainConfig]:
    """Every run, in the order they are trained: delay by delay, then seed, then cell."""
    base = TrainConfig(
        task=config.task,
        hidden_size=config.hidden_size,
        optimizer="adam",
        lr=config.lr,
        steps=config.steps,
        batch_size=config.batch_size,
        probe_every=config.eval_every,
        record=False,
        stop_when_solved=True,
        estimate=False,
    )
    return [  # the task reads the parameter it takes: recall the delay, adding the length
        replace(base, cell=cell, seed=seed, delay=delay, length=delay)
        for delay in sorted(config.delays)
        for seed in range(config.seeds)
        for cell in config.cells
    ]


def success_rate(
    solved: dict[tuple[str, int], list[bool]], cell: str, delay: int, seeds: int
) -> float | None:
    """The share of seeds that solved `delay`, or None if not all of them ran."""
    runs = solved.get((cell, delay), [])
    return sum(runs) / len(runs) if len(runs) == seeds else None


def estimate(config: CompareConfig, stop: threading.Event | None = None) -> float:
    """Seconds if every run used its whole budget (an upper bound), timed on this machine:
    one update and one eval per cell and delay. A set `stop` cuts the timing short."""
    total = 0.0
    for train_config in run_configs(replace(config, seeds=1)):
        if stop is not None and stop.is_set():
            break
        update, measurement = estimate_update_seconds(train_config, stop=stop)
        evals = train_config.steps // train_config.probe_every + 1
        total += train_config.steps * update + evals * measurement
    return total * config.seeds


def compare(config: CompareConfig, stop: threading.Event | None = None) -> Iterator[Event]:
    """Events: plan {runs, estimated_seconds, cells, delays, seeds}; run {cell, delay, seed,
    metric, solved, updates, seconds} after each run; done {reason, success, delays, metric,
    threshold, seconds}, where success[cell][i] is the share of seeds that solved delays[i]
    (None for a delay not reached before a stop or the time limit)."""
    stop = stop or threading.Event()
    configs = run_configs(config)
    delays = sorted(config.delays)
    yield Event(
        "plan",
        {
            "runs": len(configs),
            "estimated_seconds": estimate(config, stop),
            "cells": list(config.cells),
            "delays": delays,
            "seeds": config.seeds,
        },
    )
    start = time.monotonic()
    solved: dict[tuple[str, int], list[bool]] = {}
    reason: Literal["finished", "stopped", "time_limit"] = "finished"
    for train_config in configs:
        if stop.is_set():
            reason = "stopped"
            break
        left = None if config.time_limit is None else config.time_limit - (time.monotonic() - start)
        if left is not None and left <= 0:
            reason = "time_limit"
            break
        done = [e for e in train(replace(train_config, time_limit=left), stop) if e.kind == "done"]
        result = done[-1].data
        if result["reason"] in ("stopped", "time_limit"):
            reason = result["reason"]
            break
        delay = train_config.delay
        assert delay is not None
        solved.setdefault((train_config.cell, delay), []).append(result["solved"])
        yield Event(
            "run",
            {
                "cell": train_config.cell,
                "delay": delay,
                "seed": train_config.seed,
                "metric": result["metric"],
                "solved": result["solved"],
                "updates": result["updates"],
                "seconds": result["seconds"],
            },
        )
    task = make_task(config.task, delays[0], delays[0])
    success = {
        cell: [success_rate(solved, cell, d, config.seeds) for d in delays] for cell in config.cells
    }
    yield Event(
        "done",
        {
            "reason": reason,
            "success": success,
            "delays": delays,
            "metric": task.metric,
            "threshold": task.threshold,
            "seconds": time.monotonic() - start,
        },
    )
