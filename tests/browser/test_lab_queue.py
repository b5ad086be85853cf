"""/lab when the server's training slots are taken, in real Chromium against a server with one
slot and one place in its queue: a run or comparison says its place in line and its wait, then
runs once the slot frees; a run refused because the queue is full says why, in words."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_lab import open_lab, run_to_end
from tests.server_process import running_server
from tests.test_run_queue import HOLD

pytestmark = pytest.mark.browser

SMALL = {"task": "recall", "delay": "4", "cell": "gru", "hidden_size": "8", "steps": "60"}
SMALL_COMPARE = {
    "mode": "compare",
    "compare_cells": "gru",
    "compare_delays": "2",
    "compare_seeds": "1",
    "compare_steps": "20",
}
QUEUED = re.compile(
    r"^Queued: 1st in line, about \d+ (s|min) \(the server trains one run at a time\)$"
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """This module's own server (the `page` fixture opens it): one slot, one queued run."""
    env = {"UNROLLED_MAX_TRAINING_RUNS": "1", "UNROLLED_MAX_QUEUED_RUNS": "1"}
    with running_server(env=env) as server:
        yield server.url


@contextmanager
def slot_taken(url: str) -> Iterator[None]:
    """A long run holds the server's only slot until the block ends (its client leaves)."""
    with (
        httpx.Client(base_url=url, timeout=60) as client,
        client.stream("POST", "/api/train", json=HOLD) as response,
    ):
        lines = response.iter_lines()  # held: a generator closed early would close the stream
        assert "event: start" in (line for line in lines if line.startswith("event: "))
        yield


def test_a_queued_run_says_its_place_then_runs(page: Page, base_url: str) -> None:
    open_lab(page, SMALL)
    with slot_taken(base_url):
        page.click("#start")
        expect(page.locator("#run-status")).to_have_text(QUEUED)
        expect(page.locator("body")).to_have_attribute("data-queue", "1")
        expect(page.locator("body")).to_have_attribute("data-run", "running")
        expect(page.locator("#stop")).to_be_enabled()

        # A second student now finds the slot taken and the one place too.
        other = page.context.new_page()
        open_lab(other, SMALL)
        assert run_to_end(other) == "error"
        expect(other.locator("#run-status")).to_have_text(
            re.compile(
                r"^not started: the server is training as many runs as it can and its queue is "
                r"full; try again in \d+ (s|min)$"
            )
        )
        expect(other.locator("#error")).to_contain_text(
            "the training queue of this worker is full: 1 waiting behind 1 running, and the "
            "limit is 1 (max_queued_runs)"
        )
        other.close()
    # The holder left: the queued run's turn came, and it ran to its end.
    page.wait_for_selector("body[data-run]:not([data-run='running'])", state="attached")
    assert page.locator("body").get_attribute("data-run") == "finished"
    assert page.locator("body").get_attribute("data-queue") is None
    expect(page.locator("#run-status")).to_contain_text("finished at update 60")


def test_stopping_a_queued_run_leaves_the_queue(page: Page, base_url: str) -> None:
    open_lab(page, SMALL)
    with slot_taken(base_url):
        page.click("#start")
        expect(page.locator("body")).to_have_attribute("data-queue", "1")
        page.click("#stop")
        expect(page.locator("body")).to_have_attribute("data-run", "stopped")
        expect(page.locator("#run-status")).to_have_text("stopped before it started")
        assert first_line_elsewhere(base_url) == "event: queued"  # its place is free again


def first_line_elsewhere(url: str) -> str:
    """The first line of a run another client starts, once the queue has room for it (the
    server learns that the page left when its connection closes, just after the click)."""
    for _ in range(100):
        with httpx.stream("POST", f"{url}/api/train", json={"steps": 1}) as response:
            if response.status_code == 200:
                return next(response.iter_lines())
        time.sleep(0.1)
    raise AssertionError("the stopped run still holds its place in the queue")


def test_a_queued_comparison_says_its_place_then_runs(page: Page, base_url: str) -> None:
    open_lab(page, SMALL_COMPARE)
    page.wait_for_selector("body[data-estimate='ready']", state="attached")
    with slot_taken(base_url):
        page.click("#compare-start")
        expect(page.locator("#compare-status")).to_have_text(QUEUED)
        expect(page.locator("body")).to_have_attribute("data-queue", "1")
    page.wait_for_selector(
        "body[data-compare]:not([data-compare='running'])", state="attached", timeout=120_000
    )
    assert page.locator("body").get_attribute("data-compare") == "done"
    assert page.locator("body").get_attribute("data-queue") is None
