/**
 * One training run on the page: POST /api/train, read its events, and keep every view current.
 * Events are buffered and drawn together a few times a second (one Plotly.extendTraces per
 * chart for all the points that arrived), so the page keeps up with the stream at any rate and
 * leaves the CPU to the training when browser and server share a laptop. At a lecture pace
 * (pace.js) the events reach the views at the chosen rate of updates per second instead.
 *
 * While the server's training slots are taken the run waits its turn, and the status line says
 * its place and wait (queue.js); a run refused because the queue is full says so.
 *
 * Test hooks on <body>: `data-run` is idle | running (queued included) | finished | stopped |
 * time_limit | diverged | error | ended; `data-update` is the last update received; `data-queue`
 * (queue.js) is the run's place in line while it waits.
 */
import { streamEvents } from "../api.js";
import { LAB } from "../config.js";
import { formatNumber } from "../dom.js";
import { drawProbe, higherIsBetter, METRIC_NAMES, resetCurves, resetMetric } from "./charts.js";
import { drawForecast, seriesText } from "./forecast.js";
import { snapshotModel } from "./model-panel.js";
import { Pacer } from "./pace.js";
import { leftQueue, notStartedText, showQueued } from "./queue.js";
import { chanceVerdict } from "./verdict.js";

/**
 * @typedef {{update: number, loss: number | null, grad_norm: number | null, clipped: boolean,
 *   elapsed: number, eta: number | null, first_update?: number, losses?: (number | null)[],
 *   grad_norms?: (number | null)[], clipped_flags?: boolean[]}} ProgressEvent
 * @typedef {{update: number, metric: string, value: number | null, solved: boolean}} EvalEvent
 * @typedef {{task: import("./charts.js").StartTask, probe: import("./charts.js").Probe, steps: number,
 *   estimated_seconds: number, model?: Omit<import("./model-panel.js").TrainedModel, "state_dict">}} StartEvent
 * @typedef {{reason: string, updates: number, seconds?: number,
 *   model?: import("./model-panel.js").TrainedModel}} DoneEvent
 * @typedef {{update: number, forecast: import("./forecast.js").Forecast}} ForecastAt
 * @typedef {{x: number[], y: (number | null)[]}} Points
 * @typedef {{loss: Points, norm: Points, clipped: Points, metric: Points}} Pending
 */

/** Seconds as people read them: "8 s", "2 min 5 s". @param {number} s */
export function duration(s) {
  if (s < 10) return `${formatNumber(Math.max(0, s), 1)} s`;
  const whole = Math.round(s);
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/**
 * The probe sequence as a text that /hello and /explore read: its characters, then the last
 * target, so the model's answer at the last step is scored (recall: "a3141?" + "a"). A
 * classifier's target is a class, not a character: its text is the probe alone.
 * @param {{inputs: unknown[], targets?: unknown} | undefined} probe
 * @param {boolean} classifier
 * @returns {string | null} null when the probe is not made of characters
 */
export function probeText(probe, classifier = false) {
  if (!probe || !probe.inputs.every((c) => typeof c === "string")) return null;
  const targets = [probe.targets ?? []].flat();
  const last = targets.at(-1);
  return probe.inputs.join("") + (typeof last === "string" && !classifier ? last : "");
}

/**
 * The series task's probe as the values x_0 … x_T (its inputs, then its last target), or null
 * for a probe of another task.
 * @param {{inputs: unknown[], targets?: unknown} | undefined} probe
 * @returns {number[] | null}
 */
export function probeValues(probe) {
  const targets = probe?.targets;
  if (!probe || !Array.isArray(targets) || !probe.inputs.every((x) => Array.isArray(x) && x.length === 1)) return null;
  const last = targets.at(-1);
  if (typeof last !== "number") return null;
  return [...probe.inputs.map((x) => Number(/** @type {number[]} */ (x)[0])), last];
}

/**
 * Points received and not drawn yet, per series.
 * @returns {Pending}
 */
function nothingPending() {
  return { loss: { x: [], y: [] }, norm: { x: [], y: [] }, clipped: { x: [], y: [] }, metric: { x: [], y: [] } };
}

/** @type {Record<string, string>} how a run ended, in words */
const DONE_WORDS = {
  finished: "finished",
  stopped: "stopped by the server",
  time_limit: "stopped at the time limit",
  diverged: "diverged",
};

export class Training {
  /**
   * @param {{charts: ReturnType<typeof import("./charts.js").createRunCharts>,
   *   replay: import("./replay.js").Replay, model: import("./model-panel.js").ModelPanel,
   *   progress: HTMLProgressElement, status: HTMLElement, errors: import("../status.js").ErrorBox,
   *   probeDescription: HTMLElement, taskDescription: HTMLElement, views: HTMLElement,
   *   forecastPanel: HTMLElement, verdict: HTMLElement, onBusy: (busy: boolean) => void,
   *   onStart: (estimatedSeconds: number | null) => void}} view
   */
  constructor(view) {
    this.view = view;
    /** @type {AbortController | null} */
    this.controller = null;
    /** @type {import("./settings.js").TrainRequest | null} */
    this.request = null;
    this.name = "";
    /** @type {StartEvent | null} */
    this.start = null;
    /** @type {Array<{event: string, data: unknown}>} every event of the run, for its download */
    this.log = [];
    this.pending = nothingPending();
    /** @type {ProgressEvent | null} */
    this.last = null;
    /** @type {EvalEvent | null} */
    this.lastEval = null;
    /** @type {number | null} */
    this.solvedAt = null;
    /** @type {import("./charts.js").ProbeEvent | null} */
    this.firstProbe = null;
    /** @type {import("./charts.js").ProbeEvent | null} */
    this.latestProbe = null;
    /** @type {ForecastAt | null} the series task's latest forecast, not drawn yet */
    this.latestForecast = null;
    this.timer = 0;
    this.drawnAt = 0;
    /** ms the last redraw took */
    this.drawCost = 0;
    this.ended = false;
    /** @type {number | null} the update whose loss or gradient was not finite */
    this.divergedAt = null;
    /** updates shown, and how many of them were clipped */
    this.counts = { updates: 0, clipped: 0 };
    this.pacer = new Pacer((event, data) => this.onEvent(event, data));
  }

  /**
   * Forget the last run.
   * @param {import("./settings.js").TrainRequest} request
   * @param {string} name
   */
  resetRun(request, name) {
    window.clearTimeout(this.timer);
    /** @type {Partial<Training>} every field the constructor starts a run with */
    const fresh = {
      request, name, start: null, log: [], pending: nothingPending(), last: null, lastEval: null, solvedAt: null,
      firstProbe: null, latestProbe: null, latestForecast: null, timer: 0, drawnAt: 0, drawCost: 0, ended: false, divergedAt: null,
      counts: { updates: 0, clipped: 0 },
    };
    Object.assign(this, fresh);
  }

  /**
   * Start a run of `request`; resolves when it has ended (any way) and has been shown.
   * @param {import("./settings.js").TrainRequest} request
   * @param {string} name what the trained model will be called
   * @param {number} rate updates shown per second (pace.js); 0: as they arrive
   */
  async run(request, name, rate = 0) {
    this.resetRun(request, name);
    this.pacer.begin(rate);
    const controller = new AbortController();
    this.controller = controller;
    this.setState("running");
    this.view.onBusy(true);
    this.view.errors.clear();
    this.view.model.clear();
    this.view.verdict.hidden = true;
    this.view.progress.value = 0;
    this.view.status.textContent = "starting…";
    // A screen reader hears the status when the run is over, not at every update.
    this.view.status.setAttribute("aria-busy", "true");
    this.view.views.hidden = false;
    // The forecast is the series task's only; its place is kept from the start (nothing jumps).
    const series = request.task === "series";
    this.view.forecastPanel.hidden = !series;
    this.view.charts.forecast.figure.hidden = !series;
    await resetCurves(this.view.charts, request);
    try {
      await streamEvents("/api/train", request, (event, data) => this.receive(event, data), controller.signal);
      await this.pacer.drained();
      this.flush();
      if (!this.ended && controller.signal.aborted) this.finish("stopped", this.stoppedText());
      else if (!this.ended) this.finish("ended", `the connection closed at update ${this.last?.update ?? 0} before the run finished`);
    } catch (error) {
      this.flush();
      if (controller.signal.aborted) this.finish("stopped", this.stoppedText());
      else {
        this.view.errors.show(error);
        this.finish("error", this.start ? "" : notStartedText(error));
      }
    }
    this.controller = null;
    this.view.onBusy(false);
  }

  /** Stop the run where it is shown: abort the request (the server stops its work when the
   * client leaves) and drop the events not shown yet. */
  stop() {
    this.pacer.cancel();
    this.controller?.abort();
  }

  /** Show the rest of a paced run at once. */
  skip() {
    this.pacer.skip();
  }

  /** "stopped at update 40", or "stopped before it started" (while it waited its turn). */
  stoppedText() {
    return this.start ? `stopped at update ${this.last?.update ?? 0}` : "stopped before it started";
  }

  /**
   * An event from the server: kept for the run's download, shown at the pace; its place in the
   * server's queue (not part of the run) is shown at once.
   * @param {string} event
   * @param {any} data
   */
  receive(event, data) {
    if (event === "queued") {
      showQueued(this.view.status, data);
      return;
    }
    this.log.push({ event, data });
    this.pacer.push(event, data);
  }

  /**
   * @param {string} event
   * @param {any} data
   */
  onEvent(event, data) {
    if (event === "start") this.onStart(data);
    else if (event === "progress") this.onProgress(data);
    else if (event === "eval") this.onEval(data);
    else if (event === "probe") this.onProbe(data);
    else if (event === "snapshot") this.view.replay.add(data);
    else if (event === "diverged") this.onDiverged(data);
    else if (event === "done") this.onDone(data);
    else if (event === "error") this.view.errors.show(data.message ?? JSON.stringify(data));
    else return;
    this.schedule();
  }

  /** @param {StartEvent} data */
  onStart(data) {
    leftQueue();
    this.start = data;
    const { task, probe } = data;
    this.view.taskDescription.textContent = task.description ?? "";
    this.view.probeDescription.textContent = `Probe: ${probe.description}`;
    this.view.replay.reset(probe, task.metric);
    resetMetric(this.view.charts.metric, task);
    this.view.onStart(data.estimated_seconds);
    const rate = this.pacer.rate;
    this.view.status.textContent = rate > 0
      ? `showing ${data.steps} updates at ${rate} per second: about ${duration(data.steps / rate)}`
      : `training… about ${duration(data.estimated_seconds)} for ${data.steps} updates`;
  }

  /**
   * Every update since the last progress event (`first_update` … `update`); an event without
   * those lists counts as the one update it names.
   * @param {ProgressEvent} data
   */
  onProgress(data) {
    this.last = data;
    this.showProgress(data);
    const { loss, norm, clipped } = this.pending;
    const losses = data.losses ?? [data.loss];
    const norms = data.grad_norms ?? [data.grad_norm];
    const flags = data.clipped_flags ?? [data.clipped];
    const first = data.first_update ?? data.update;
    losses.forEach((value, k) => {
      const update = first + k;
      loss.x.push(update);
      loss.y.push(value);
      norm.x.push(update);
      norm.y.push(norms[k]);
      this.counts.updates += 1;
      if (flags[k]) {
        this.counts.clipped += 1;
        clipped.x.push(update);
        clipped.y.push(norms[k]);
      }
    });
  }

  /** @param {EvalEvent} data */
  onEval(data) {
    this.lastEval = data;
    this.pending.metric.x.push(data.update);
    this.pending.metric.y.push(data.value);
    if (data.solved && this.solvedAt === null) this.solvedAt = data.update;
  }

  /** @param {import("./charts.js").ProbeEvent} data */
  onProbe(data) {
    this.firstProbe ??= data;
    this.latestProbe = data;
    if (data.forecast) this.latestForecast = { update: data.update, forecast: data.forecast };
  }

  /** @param {{update: number, message: string}} data */
  onDiverged(data) {
    this.divergedAt = data.update;
    this.view.errors.show(data.message);
  }

  /** @param {DoneEvent} data */
  onDone(data) {
    this.ended = true;
    this.flush();
    const reason = data.reason;
    const words = DONE_WORDS[reason] ?? reason;
    const seconds = typeof data.seconds === "number" ? ` in ${duration(data.seconds)}` : "";
    const update = reason === "diverged" && this.divergedAt !== null ? this.divergedAt : data.updates;
    if (data.model) this.offerModel(data.model, data.updates);
    this.finish(reason, `${words} at update ${update}${seconds}`);
  }

  /**
   * The model at the end, or (a stopped run) at its last snapshot.
   * @param {import("./model-panel.js").TrainedModel} model
   * @param {number} updates how many updates trained it
   */
  offerModel(model, updates) {
    const values = model.output === "value" ? probeValues(this.start?.probe) : null;
    this.view.model.show(model, {
      name: this.name,
      label: `${this.start?.task.title ?? this.request?.task}, after ${updates} updates`,
      text: values ? seriesText(values) : model.vocab ? probeText(this.start?.probe, model.output === "class") : null,
      runLog: () => ({ request: this.request, events: this.log }),
    });
  }

  /**
   * Draw what arrived soon: at most every `LAB.drawInterval` ms, and never more than
   * 1 / `LAB.drawShare` of the time (a redraw of thousands of points gets slower as the run
   * grows; the batches grow instead, and no point is dropped).
   */
  schedule() {
    if (this.timer) return;
    const gap = Math.max(LAB.drawInterval, this.drawCost / LAB.drawShare);
    const wait = Math.max(0, this.drawnAt + gap - performance.now());
    this.timer = window.setTimeout(() => this.flush(), wait);
  }

  /** Draw every buffered point now. */
  flush() {
    window.clearTimeout(this.timer);
    this.timer = 0;
    const started = performance.now();
    const { charts } = this.view;
    const { loss, norm, clipped, metric } = this.pending;
    charts.loss.append([loss]);
    charts.norm.append([norm, clipped]);
    charts.metric.append([metric]);
    this.pending = nothingPending();
    if (this.latestProbe && this.start) {
      drawProbe(charts.probe, this.start.probe, this.latestProbe, this.firstProbe);
      this.latestProbe = null;
    }
    if (this.latestForecast) {
      drawForecast(charts.forecast, this.latestForecast.forecast, this.latestForecast.update);
      this.latestForecast = null;
    }
    this.drawnAt = performance.now();
    this.drawCost = this.drawnAt - started;
  }

  /** @param {ProgressEvent} p */
  showProgress(p) {
    const steps = this.start?.steps ?? this.request?.steps ?? 0;
    this.view.progress.max = steps;
    this.view.progress.value = p.update;
    document.body.dataset.update = String(p.update);
    const left = p.eta === null || p.eta === undefined ? "" : ` · about ${duration(p.eta)} left`;
    this.view.status.textContent = `update ${p.update} of ${steps}${left}${this.scoreText()}`;
  }

  /** " · held-out accuracy 0.53 (solved at update 300)" @returns {string} */
  scoreText() {
    const e = this.lastEval;
    if (!e) return "";
    const name = METRIC_NAMES[e.metric] ?? e.metric;
    const value = e.value === null ? "not a number" : formatNumber(e.value, higherIsBetter(e.metric) ? 3 : 4);
    const solved = this.solvedAt === null ? "" : ` — solved at update ${this.solvedAt}`;
    return ` · held-out ${name} ${value}${solved}`;
  }

  /**
   * The run is over: say how, and offer the last snapshot's model when there is no final one.
   * @param {string} state
   * @param {string} text
   */
  finish(state, text) {
    this.ended = true;
    leftQueue();
    this.setState(state);
    this.view.status.setAttribute("aria-busy", "false");
    if (this.last) {
      document.body.dataset.update = String(this.last.update);
      this.view.progress.value = this.last.update;
    }
    if (text) this.view.status.textContent = `${text}${this.scoreText()}`;
    this.showVerdict(state);
    const snapshot = this.view.replay.snapshots.at(-1);
    if (!this.view.model.model && snapshot && this.start?.model) {
      this.offerModel(snapshotModel(this.start.model, snapshot.state_dict), snapshot.update);
    }
  }

  /**
   * Say so when the run ended no better than chance (a diverged run has its own message).
   * @param {string} state how the run ended
   */
  showVerdict(state) {
    const task = this.start?.task;
    const text = task && this.request && state !== "diverged" && state !== "error"
      ? chanceVerdict(task, this.lastEval?.value ?? null, this.request, this.counts)
      : null;
    this.view.verdict.textContent = text ?? "";
    this.view.verdict.hidden = text === null;
  }

  /** @param {string} state */
  setState(state) {
    document.body.dataset.run = state;
  }
}
