"""How live is /explore? The time cursor at T=300 in real Chromium, and the trace over HTTP.

In one run, against a real `unrolled serve` process:
- cursor: on /explore with every panel shown (text by unit, connectivity, predictions, states,
  gates, gradients, find units, saturation, equations), the time from a cursor move (a key
  press or a click on a character) to every panel redrawn, median and p90 over many moves:
  * "work": from the key event to the last panel updated, with style and layout flushed;
  * "next frame": to the first task after the next animation frame (includes waiting for it).
  The target is a median of at most 16 ms (60 frames per second).
- HTTP: the trace of the same 300 characters, with and without `analysis`, at full precision
  and compact (numbers for display, what /explore asks for): response size (raw JSON and gzip
  as sent) and median latency, computed (a new text each time) and from the server's cache
  (the same GET again), against GET /healthz in the same run; and the largest GET, 2000
  characters with projections, computed, full and compact.

Timings are wall-clock on a shared machine: read them as ratios within one run.
Usage: python benchmarks/cursor_speed.py [--model ID] [--moves N] [--repeats N]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.server_process import running_server  # noqa: E402

STEPS = 300
LONG_STEPS = 2000  # the text limit

# One cursor move, timed in the page: the move, then wait for the page's `explore:drawn`
# event for that step; "work" flushes style and layout; "frame" waits for the next frame.
MOVE = """async ({kind, target}) => {
  const body = document.body;
  const drawn = new Promise((resolve) => {
    const listener = (event) => {
      if (event.detail.cursor === target) {
        document.removeEventListener("explore:drawn", listener);
        resolve();
      }
    };
    document.addEventListener("explore:drawn", listener);
  });
  const start = performance.now();
  if (kind === "key") {
    body.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
  } else {
    document.querySelector(`#text-view [data-t="${target}"]`).click();
  }
  await drawn;
  void body.offsetHeight;  // flush style and layout of everything the move changed
  const work = performance.now() - start;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return {work, frame: performance.now() - start};
}"""


def text_of(sample: str, steps: int, shift: int = 0) -> str:
    """`steps` characters of the model's own sample, repeated, starting `shift` in."""
    repeated = sample * (steps // len(sample) + 2)
    return repeated[shift : shift + steps]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def cursor_times(url: str, model: str, text: str, moves: int) -> tuple[dict[str, list[float]], int]:
    """Time `moves` cursor moves (key presses and clicks on characters, alternately in runs)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page: Page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{url}/explore?{urlencode({'model': model, 'text': text})}")
        page.wait_for_selector("body[data-ready='true']", state="attached", timeout=120_000)
        panels = page.locator("[data-panel]:not([hidden])").count()
        times: dict[str, list[float]] = {"work": [], "frame": []}
        step = 0
        for k in range(moves + 5):
            if (k // 10) % 2 == 0 and step + 1 < STEPS:
                kind, step = "key", step + 1
            else:
                kind, step = "click", (step * 7 + 13) % STEPS
            result = page.evaluate(MOVE, {"kind": kind, "target": step})
            if k >= 5:  # the first moves warm the charts up
                times["work"].append(result["work"])
                times["frame"].append(result["frame"])
        browser.close()
    return times, panels


def median_ms(run: Callable[[int], object], repeats: int) -> float:
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        run(k)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def http_numbers(url: str, model: str, sample: str, repeats: int) -> None:
    """Trace size and latency at T=300 with and without analysis, against /healthz."""
    with httpx.Client(base_url=url, timeout=120) as client:
        client.get("/healthz").raise_for_status()
        health = median_ms(lambda _: client.get("/healthz").raise_for_status(), repeats)
        print(f"GET /healthz                                   {health:8.1f} ms")
        for analysis, compact in itertools.product((False, True), (False, True)):
            params = {"model": model, "loss": "all", "analysis": str(analysis).lower()}
            if compact:
                params["compact"] = "true"  # what /explore asks for: numbers for display
            text = text_of(sample, STEPS)
            response = client.get("/api/trace", params={**params, "text": text})
            response.raise_for_status()
            raw = len(response.content)
            gzipped = len(gzip.compress(response.content))
            sent = response.headers.get("content-length", "?")

            def computed(k: int, params: dict[str, str] = params) -> None:
                fresh = text_of(sample, STEPS, shift=k + 1)  # a text not in the server's cache
                client.get("/api/trace", params={**params, "text": fresh}).raise_for_status()

            def cached(_: int, params: dict[str, str] = params, text: str = text) -> None:
                client.get("/api/trace", params={**params, "text": text}).raise_for_status()

            computed_ms = median_ms(computed, repeats)
            cached_ms = median_ms(cached, repeats)
            label = ("with analysis" if analysis else "no analysis  ") + (
                ", compact" if compact else ", full   "
            )
            print(
                f"GET /api/trace T={STEPS} {label}  raw {raw / 1024:8.1f} KiB  "
                f"gzip {gzipped / 1024:7.1f} KiB (sent {sent} bytes)  "
                f"computed {computed_ms:8.1f} ms ({computed_ms / health:6.0f}x healthz)  "
                f"cached {cached_ms:6.1f} ms ({cached_ms / health:5.1f}x healthz)"
            )


def long_trace_numbers(url: str, model: str, sample: str, steps: int, repeats: int) -> None:
    """The largest GET a page may make: `steps` characters with projections, computed."""
    with httpx.Client(base_url=url, timeout=300) as client:
        for compact in (False, True):
            params = {"model": model, "projections": "true", "compact": str(compact).lower()}

            def computed(k: int, params: dict[str, str] = params) -> None:
                fresh = text_of(sample, steps, shift=k + 101)
                response = client.get("/api/trace", params={**params, "text": fresh})
                response.raise_for_status()

            computed_ms = median_ms(computed, repeats)
            label = "compact" if compact else "full"
            print(f"GET /api/trace T={steps} with projections, {label}: {computed_ms:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="code-lstm", help="a built-in model id")
    parser.add_argument("--moves", type=int, default=60, help="cursor moves timed (>= 50)")
    parser.add_argument("--repeats", type=int, default=5, help="HTTP requests per median")
    args = parser.parse_args()
    with running_server() as server:
        models = httpx.get(f"{server.url}/api/models").json()["models"]
        info = next(m for m in models if m["id"] == args.model)
        sample = info["sample"]
        shape = f"{info['cell']}, {info['num_layers']} layers x {info['hidden_size']} units"
        print(f"model {args.model} ({shape}), vocabulary {len(info['vocab'])}, T={STEPS}")
        http_numbers(server.url, args.model, sample, args.repeats)
        long_trace_numbers(server.url, args.model, sample, LONG_STEPS, 3)
        times, panels = cursor_times(server.url, args.model, text_of(sample, STEPS), args.moves)
        for name, values in times.items():
            print(
                f"cursor move -> {panels} panels redrawn ({name:10s}) over {len(values)} moves: "
                f"median {statistics.median(values):6.1f} ms  p90 {percentile(values, 0.9):6.1f} ms"
            )
        work = statistics.median(times["work"])
        print(f"cursor median / 16 ms frame budget: {work / 16:.2f}")


if __name__ == "__main__":
    main()
