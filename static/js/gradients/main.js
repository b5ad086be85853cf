/**
 * The /gradients page: every control lives in the URL; any change re-measures and redraws with
 * Plotly.react, live while a slider is dragged (`live.js`: always ending on the latest state).
 * The exploration and the phase diagram are two live views: the sweep, slower, only runs when
 * its own settings change, and never holds the other charts back.
 * Test hook: `body[data-ready]` is "true" once the last change is drawn everywhere,
 * `body[data-error]` is "true" while an error is shown.
 */
import { ApiError } from "../api.js";
import { el, formatNumber } from "../dom.js";
import { UrlState } from "../state.js";
import { LiveView } from "./live.js";
import {
  CELL_NAMES, createCharts, drawCellPathChart, drawGradientChart, drawJacobianChart, drawPhaseChart,
  fillBlocks, fillClipping,
} from "./charts.js";

/** Every control of the page, with its type and default (the URL overrides). */
const SCHEMA = {
  cells: { type: "string", default: "rnn,lstm,gru" },
  steps: { type: "int", default: 200 },
  hidden_size: { type: "int", default: 64 },
  init: { type: "string", default: "default" },
  scale: { type: "string", default: "sigma" },
  gain: { type: "float", default: 1.0 },
  nonlinearity: { type: "string", default: "tanh" },
  forget_bias: { type: "float", default: 1.0 },
  input: { type: "string", default: "random" },
  text: { type: "string", default: "I grew up in France. I went to school there and lived there for many years. I speak fluent French." },
  seed: { type: "int", default: 0 },
  clip_norm: { type: "float", default: 1.0 },
  clip_value: { type: "float", default: 5.0 },
  distance: { type: "int", default: 50 },
};

/** The lecture's stories, as settings. */
const PRESETS = {
  france: { cells: "rnn,lstm", input: "text", init: "orthogonal", scale: "sigma", gain: 0.9, nonlinearity: "tanh", forget_bias: 1.0, hidden_size: 64 },
  lstm: { cells: "rnn,lstm,gru", input: "random", steps: 300, init: "default", scale: "none", forget_bias: 5.0, hidden_size: 64 },
  irnn: { cells: "rnn", input: "random", steps: 500, init: "identity", scale: "sigma", gain: 1.0, nonlinearity: "relu", hidden_size: 64 },
  exploding: { cells: "rnn", input: "random", steps: 200, init: "identity", scale: "sigma", gain: 1.2, nonlinearity: "relu", clip_norm: 1.0, clip_value: 5.0 },
};

/** @param {string} id @returns {any} */
const byId = (id) => document.getElementById(id);

const body = document.body;
const state = new UrlState(SCHEMA);
const form = /** @type {HTMLFormElement} */ (byId("controls"));
const charts = createCharts({ main: byId("main-chart"), why: byId("why-charts"), phase: byId("phase-chart") });
/** The settings the phase diagram was last measured for. */
let phaseKey = "";

/** Show an error as text and dim the stale views. @param {string | null} message */
function setError(message) {
  const box = byId("error");
  box.hidden = message === null;
  box.textContent = message ?? "";
  body.dataset.error = String(message !== null);
  byId("views").classList.toggle("stale", message !== null);
}

/** Copy the state into the controls. */
function showState() {
  const values = state.values;
  const cells = String(values.cells).split(",");
  for (const box of form.querySelectorAll('input[name="cell"]')) {
    const input = /** @type {HTMLInputElement} */ (box);
    input.checked = cells.includes(input.value);
  }
  for (const name of ["steps", "hidden_size", "init", "scale", "gain", "nonlinearity", "forget_bias",
    "input", "text", "seed", "clip_norm", "clip_value", "distance"]) {
    byId(name).value = String(values[name]);
  }
  byId("steps-out").textContent = String(values.steps);
  byId("gain-out").textContent = formatNumber(Number(values.gain), 2);
  byId("forget_bias-out").textContent = formatNumber(Number(values.forget_bias), 1);
  byId("text-label").hidden = values.input !== "text";
  byId("steps").disabled = values.input === "text";
}

/** Read the controls into the state. */
function readControls() {
  const cells = [...form.querySelectorAll('input[name="cell"]:checked')].map((b) => /** @type {HTMLInputElement} */ (b).value);
  /** @type {Record<string, string | number>} */
  const patch = { cells: cells.join(",") };
  for (const [name, spec] of Object.entries(SCHEMA)) {
    if (name === "cells") continue;
    const raw = byId(name).value;
    patch[name] = spec.type === "string" ? raw : Number(raw);
  }
  state.update(patch);
}

/** The explore request for the current state. */
function request() {
  const v = state.values;
  const cells = String(v.cells).split(",").filter(Boolean);
  return {
    cells,
    steps: Number(v.steps),
    hidden_size: Number(v.hidden_size),
    init: v.init,
    scale: v.scale,
    gain: Number(v.gain),
    nonlinearity: v.nonlinearity,
    forget_bias: Number(v.forget_bias),
    text: v.input === "text" ? String(v.text) : null,
    seed: Number(v.seed),
    clip_norm: Number(v.clip_norm),
    clip_value: Number(v.clip_value),
  };
}

/**
 * POST JSON; throw an ApiError carrying the server's message.
 * @param {string} url @param {object} payload
 */
async function postJson(url, payload) {
  const response = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = data?.detail;
    const message = Array.isArray(detail) ? detail.map((d) => `${d.loc?.at(-1)}: ${d.msg}`).join("; ") : String(detail ?? response.status);
    throw new ApiError(message, response.status);
  }
  return data;
}

/**
 * One sentence per cell: how much gradient reaches the first step.
 * @param {import("./charts.js").Exploration} data
 */
function summarise(data) {
  const items = data.results.flatMap((r) => {
    const far = r.grad_h.at(-1) ?? null;
    const detail = el("dd", { "data-cell": r.cell, "data-far": String(far) });
    detail.append(`‖∂L/∂h‖ ${data.steps - 1} steps back: `);
    if (far === null) detail.append("exactly 0");
    else detail.append("10", el("sup", {}, formatNumber(far, 1)));
    detail.append(" · σ", el("sub", {}, "max"), " of W", el("sub", {}, "hh"), ` ${formatNumber(r.blocks[0].sigma_max, 3)}`);
    return [el("dt", {}, CELL_NAMES[r.cell]), detail];
  });
  byId("summary").replaceChildren(...items);
}

/** The phase request: the sweep sets the gain itself, and reads random characters. */
function phaseRequest() {
  const { gain, text, clip_norm, clip_value, ...rest } = request();
  return { ...rest, text: null, steps: 200, distance: Number(state.values.distance) };
}

/** @typedef {{data: import("./charts.js").Exploration} | {error: string}} Measurement */

/**
 * Measure the exploration of the current state.
 * @returns {Promise<Measurement>}
 */
async function measure() {
  const payload = request();
  if (payload.cells.length === 0) return { error: "cells: choose at least one of RNN, LSTM, GRU" };
  try {
    return { data: await postJson("/api/explore", payload) };
  } catch (error) {
    return { error: /** @type {Error} */ (error).message };
  }
}

/**
 * Draw one exploration, or its error over the dimmed views.
 * @param {Measurement} measurement
 */
async function show(measurement) {
  if ("error" in measurement) {
    setError(measurement.error);
    byId("status").textContent = "";
    return;
  }
  const { data } = measurement;
  setError(null);
  await draw(data);
  const input = `${data.text.slice(0, 60)}${data.text.length > 60 ? "…" : ""}`;
  byId("status").textContent = `T = ${data.steps} steps, input “${input}”`;
}

/** @typedef {{phase: import("./charts.js").Phase} | {error: string}} PhaseMeasurement */

/**
 * Measure the phase sweep if its settings changed (the gain, the clipping and the text do not
 * move it, so a dragged gain slider never waits for it); null if they did not.
 * @returns {Promise<PhaseMeasurement | null>}
 */
async function measurePhase() {
  const payload = phaseRequest();
  const key = JSON.stringify(payload);
  if (key === phaseKey || payload.cells.length === 0) return null;
  phaseKey = key;
  try {
    return { phase: await postJson("/api/explore/phase", payload) };
  } catch (error) {
    phaseKey = ""; // measure again at the next change, whatever it is
    return { error: /** @type {Error} */ (error).message };
  }
}

/** @param {PhaseMeasurement} measurement */
async function showPhase(measurement) {
  const box = byId("phase-error");
  box.hidden = !("error" in measurement);
  box.textContent = "error" in measurement ? measurement.error : "";
  charts.phase.figure.classList.toggle("stale", "error" in measurement);
  if ("phase" in measurement) await drawPhaseChart(charts.phase, measurement.phase);
}

/** Views still measuring or drawing; the page is ready when none is. */
const busyViews = new Set();

/** @param {string} name @returns {(busy: boolean) => void} */
function busyFlag(name) {
  return (busy) => {
    if (busy) busyViews.add(name);
    else busyViews.delete(name);
    body.dataset.ready = String(busyViews.size === 0);
    if (busy && name === "gradients") byId("status").textContent = "measuring…";
  };
}

/** The main views and the phase diagram measure and draw independently, each always live. */
const views = [
  new LiveView("gradients", measure, show, busyFlag("gradients")),
  new LiveView("phase", measurePhase, showPhase, busyFlag("phase")),
];

/** The state changed: bring every view up to it. */
function changed() {
  for (const view of views) view.changed();
}

/**
 * @param {import("./charts.js").Exploration} data
 */
async function draw(data) {
  const rnn = data.results.find((r) => r.cell === "rnn");
  const lstm = data.results.find((r) => r.cell === "lstm");
  charts.jacobian.figure.hidden = !rnn;
  charts.cellPath.figure.hidden = !lstm;
  summarise(data);
  fillBlocks(byId("blocks"), data.results);
  fillClipping(byId("clipping"), data.results);
  await Promise.all([
    drawGradientChart(charts.gradient, data),
    rnn ? drawJacobianChart(charts.jacobian, rnn) : null,
    lstm ? drawCellPathChart(charts.cellPath, lstm) : null,
  ]);
}

form.addEventListener("input", () => {
  readControls();
  showState();
  changed();
});
byId("distance").addEventListener("input", () => {
  readControls();
  changed();
});
for (const button of document.querySelectorAll("[data-preset]")) {
  button.addEventListener("click", () => {
    const name = /** @type {keyof typeof PRESETS} */ (/** @type {HTMLElement} */ (button).dataset.preset);
    state.update(PRESETS[name]);
    showState();
    changed();
  });
}

state.update({}); // the full state in the URL from the start, so the link can be shared
showState();
changed();
