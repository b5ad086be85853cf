/**
 * Comparison mode: RNN vs LSTM vs GRU across delays. The page first asks
 * POST /api/train/compare/estimate how long the settings take, then streams
 * POST /api/train/compare: a `plan`, one `run` per finished training, and `done` with the
 * success rate per cell and delay, drawn as one chart (with a table of every run). While the
 * server's training slots are taken it waits its turn, its place shown as a run's is (queue.js).
 *
 * Test hooks on <body>: `data-compare` is idle | running (queued included) | done | stopped |
 * error; `data-estimate` is "ready" once the estimate for the current settings is shown;
 * `data-queue` (queue.js) is its place in line while it waits.
 */
import { postJson, streamEvents } from "../api.js";
import { CELL_NAMES, isCell } from "../cells.js";
import { Chart } from "../charts/chart.js";
import { CELL_COLOURS, LAB, TIMINGS } from "../config.js";
import { el, formatNumber } from "../dom.js";
import { leftQueue, notStartedText, showQueued } from "./queue.js";
import { duration } from "./training.js";

/**
 * @typedef {{task: string, cells: string[], delays: number[], seeds: number, steps: number,
 *   hidden_size: number, lr: number}} CompareRequest
 * @typedef {{cell: import("../cells.js").Cell, delay: number, seed: number, metric: number | null, solved: boolean,
 *   updates: number, seconds: number}} RunResult
 */

/**
 * Success rate per cell and delay from the runs finished so far (null: none finished yet).
 * @param {RunResult[]} runs
 * @param {string[]} cells
 * @param {number[]} delays
 * @returns {Record<string, (number | null)[]>}
 */
export function successSoFar(runs, cells, delays) {
  return Object.fromEntries(cells.map((cell) => [cell, delays.map((delay) => {
    const done = runs.filter((r) => r.cell === cell && r.delay === delay);
    return done.length === 0 ? null : done.filter((r) => r.solved).length / done.length;
  })]));
}

export class Comparison {
  /**
   * @param {{chart: HTMLElement, runs: HTMLTableElement, status: HTMLElement,
   *   progress: HTMLProgressElement, errors: import("../status.js").ErrorBox, start: HTMLButtonElement,
   *   stop: HTMLButtonElement}} elements
   * @param {() => CompareRequest} request the settings on screen
   */
  constructor(elements, request) {
    this.elements = elements;
    this.request = request;
    this.chart = new Chart(elements.chart, {
      id: "compare-chart", title: "Success rate against delay, per cell",
      description: "the share of seeds whose held-out score crossed the task's threshold", height: 420,
    });
    /** @type {AbortController | null} */
    this.controller = null;
    /** @type {RunResult[]} */
    this.runs = [];
    this.total = 0;
    /** @type {CompareRequest | null} */
    this.plan = null;
    this.estimateToken = 0;
    /** @type {number | undefined} */
    this.estimateTimer = undefined;
    elements.start.addEventListener("click", () => this.run());
    elements.stop.addEventListener("click", () => this.controller?.abort());
    document.body.dataset.compare = "idle";
  }

  /** Estimate once the settings have stopped changing for a moment (typing a list of delays). */
  scheduleEstimate() {
    document.body.dataset.estimate = "pending";
    window.clearTimeout(this.estimateTimer);
    this.estimateTimer = window.setTimeout(() => this.estimate(), TIMINGS.typingDebounce);
  }

  /** Ask the server how long the current settings take (it times them), and say so. */
  async estimate() {
    if (this.controller) {  // a comparison is running: its status stays on screen
      document.body.dataset.estimate = "ready";
      return;
    }
    const token = ++this.estimateToken;
    document.body.dataset.estimate = "pending";
    this.elements.status.textContent = "estimating how long it takes…";
    try {
      const answer = await postJson("/api/train/compare/estimate", this.request());
      if (token !== this.estimateToken) return;
      this.elements.errors.clear();
      this.elements.start.disabled = false;
      this.elements.status.textContent = `${answer.runs} runs: this will take about ${duration(answer.estimated_seconds)}.`;
      this.elements.status.dataset.seconds = String(answer.estimated_seconds);
    } catch (error) {
      if (token !== this.estimateToken) return;
      this.elements.errors.show(error);
      this.elements.start.disabled = true;
      this.elements.status.textContent = "";
    }
    document.body.dataset.estimate = "ready";
  }

  /** Stream the comparison for the settings on screen. */
  async run() {
    const request = this.request();
    const controller = new AbortController();
    this.controller = controller;
    this.runs = [];
    this.total = 0;
    /** @type {CompareRequest | null} the cells and delays in the server's order */
    this.plan = null;
    this.setBusy(true);
    this.elements.errors.clear();
    document.body.dataset.compare = "running";
    this.elements.progress.value = 0;
    this.elements.status.textContent = "starting…";
    this.fillRuns();
    await this.draw(request, successSoFar([], request.cells, request.delays));
    try {
      await streamEvents("/api/train/compare", request, (event, data) => this.onEvent(request, event, data), controller.signal);
      if (document.body.dataset.compare === "running") document.body.dataset.compare = "ended";
    } catch (error) {
      if (controller.signal.aborted) {
        this.elements.status.textContent = this.plan
          ? `stopped after ${this.runs.length} of ${this.total} runs`
          : "stopped before it started";
        document.body.dataset.compare = "stopped";
      } else {
        this.elements.errors.show(error);
        if (!this.plan) this.elements.status.textContent = notStartedText(error);
        document.body.dataset.compare = "error";
      }
    }
    leftQueue();
    this.controller = null;
    this.setBusy(false);
  }

  /**
   * @param {CompareRequest} request
   * @param {string} event
   * @param {any} data
   */
  onEvent(request, event, data) {
    if (event === "queued") {
      showQueued(this.elements.status, data);
    } else if (event === "plan") {
      leftQueue();
      this.plan = { ...request, cells: data.cells, delays: data.delays };
      this.total = data.runs;
      this.elements.progress.max = data.runs;
      this.elements.status.textContent = `${data.runs} runs, at most about ${duration(data.estimated_seconds)}`;
    } else if (event === "run") {
      const plan = this.plan ?? request;
      this.runs.push(data);
      this.elements.progress.value = this.runs.length;
      this.elements.status.textContent = `${this.runs.length} of ${this.total} runs done`;
      this.fillRuns();
      this.draw(plan, successSoFar(this.runs, plan.cells, plan.delays));
    } else if (event === "done") {
      const how = data.reason === "finished" ? "done" : data.reason === "time_limit" ? "stopped at the time limit" : "stopped";
      const better = data.metric === "accuracy" ? "≥" : "<";
      this.elements.status.textContent = `${how}: ${this.runs.length} of ${this.total} runs in ${duration(data.seconds)}; ` +
        `success = held-out ${data.metric} ${better} ${data.threshold} within ${request.steps} updates`;
      this.draw({ ...request, delays: data.delays }, data.success).then(() => {
        document.body.dataset.compare = data.reason === "finished" ? "done" : data.reason;
      });
    } else if (event === "error") {
      this.elements.errors.show(data.message ?? JSON.stringify(data));
    }
  }

  /**
   * The chart: success rate (0–1) against delay, one line per cell.
   * @param {CompareRequest} request
   * @param {Record<string, (number | null)[]>} success
   * @returns {Promise<void>}
   */
  draw(request, success) {
    const x = request.delays.map(String);
    const cells = Object.keys(success).filter(isCell);
    const traces = cells.map((cell) => {
      const style = LAB.cellLines[cell];
      return {
        type: "scatter", mode: "lines+markers", name: CELL_NAMES[cell], x, y: success[cell],
        line: { color: CELL_COLOURS[cell], width: 4, dash: style.dash },
        marker: { size: style.size, symbol: style.symbol },
        hovertemplate: `${CELL_NAMES[cell]}, delay %{x}: %{y:.0%}<extra></extra>`,
      };
    });
    const axis = request.task === "adding" ? "sequence length T" : "delay D (steps between symbol and recall)";
    return this.chart.render(
      traces,
      {
        transition: undefined,
        showlegend: true, legend: { orientation: "h", y: -0.3 },
        xaxis: { type: "category", title: { text: axis } },
        yaxis: { title: { text: "success rate" }, range: [-0.05, 1.05], tickformat: ".0%" },
        margin: { l: 80, r: 24, t: 12, b: 120 },
      },
      {
        corner: "delay",
        columns: cells.map((c) => `${CELL_NAMES[c]} success rate`),
        rows: x.map((label, k) => ({ label, values: cells.map((c) => success[c][k]) })),
      },
    );
  }

  /** The table of every finished run. */
  fillRuns() {
    const table = this.elements.runs;
    const caption = table.querySelector("caption");
    const head = el("tr");
    for (const title of ["cell", "delay", "seed", "held-out score", "solved", "updates", "seconds"]) head.append(el("th", { scope: "col" }, title));
    const rows = this.runs.map((r) => {
      const tr = el("tr", { "data-cell": r.cell, "data-delay": String(r.delay) });
      tr.append(
        el("th", { scope: "row" }, CELL_NAMES[r.cell]),
        el("td", {}, String(r.delay)),
        el("td", {}, String(r.seed)),
        el("td", { "data-value": String(r.metric) }, formatNumber(r.metric, 4)),
        el("td", {}, r.solved ? "yes" : "no"),
        el("td", {}, String(r.updates)),
        el("td", {}, formatNumber(r.seconds, 1)),
      );
      return tr;
    });
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    tbody.append(...rows);
    table.replaceChildren(...(caption ? [caption] : []), thead, tbody);
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.elements.start.disabled = busy;
    this.elements.stop.disabled = !busy;
  }
}
