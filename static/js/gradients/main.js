/**
 * The /gradients page: every control lives in the URL; any change re-measures (one request at
 * a time, always ending on the latest state) and redraws with Plotly.react.
 * Test hook: `body[data-ready]` is "true" once the last change is drawn, `body[data-error]`
 * is "true" while an error is shown.
 */
import { ApiError } from "../api.js";
import { formatNumber } from "../dom.js";
import { UrlState } from "../state.js";
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
/** A measurement is running; `pending`: the state changed meanwhile, measure again after. */
let running = false;
let pending = false;
/** The settings the phase diagram on screen was measured for (the gain does not move it). */
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
  const list = byId("summary");
  const items = data.results.flatMap((r) => {
    const far = r.grad_h.at(-1);
    const term = document.createElement("dt");
    term.textContent = CELL_NAMES[r.cell];
    const detail = document.createElement("dd");
    detail.dataset.cell = r.cell;
    detail.dataset.far = String(far);
    const exponent = far === null || far === undefined ? null : far;
    detail.append(`‖∂L/∂h‖ ${data.steps - 1} steps back: `);
    if (exponent === null) detail.append("exactly 0");
    else {
      const sup = document.createElement("sup");
      sup.textContent = formatNumber(exponent, 1);
      detail.append("10", sup);
    }
    detail.append(` · σ_max of W_hh ${formatNumber(r.blocks[0].sigma_max, 3)}`);
    return [term, detail];
  });
  list.replaceChildren(...items);
}

/** The phase request: the sweep sets the gain itself, and reads random characters. */
function phaseRequest() {
  const { gain, text, clip_norm, clip_value, ...rest } = request();
  return { ...rest, text: null, steps: 200, distance: Number(state.values.distance) };
}

/** Measure and redraw everything for the current state; false if nothing could be drawn. */
async function refresh() {
  const payload = request();
  if (payload.cells.length === 0) {
    setError("cells: choose at least one of RNN, LSTM, GRU");
    return;
  }
  byId("status").textContent = "measuring…";
  const nextPhase = phaseRequest();
  const key = JSON.stringify(nextPhase);
  try {
    const [data, newPhase] = await Promise.all([
      postJson("/api/explore", payload),
      key === phaseKey ? null : postJson("/api/explore/phase", nextPhase),
    ]);
    if (newPhase) phaseKey = key;
    setError(null);
    await draw(data, newPhase);
    byId("status").textContent = `T = ${data.steps} steps, input “${data.text.slice(0, 60)}${data.text.length > 60 ? "…" : ""}”`;
  } catch (error) {
    setError(/** @type {Error} */ (error).message);
    byId("status").textContent = "";
  }
}

/**
 * Measure now, or right after the running measurement if one is under way: a dragged slider
 * always ends on its last position, and the server never works on positions already left.
 */
async function schedule() {
  body.dataset.ready = "false";
  if (running) {
    pending = true;
    return;
  }
  running = true;
  do {
    pending = false;
    await refresh();
  } while (pending);
  running = false;
  body.dataset.ready = "true";
}

/**
 * @param {import("./charts.js").Exploration} data
 * @param {import("./charts.js").Phase | null} newPhase null when the phase diagram is unchanged
 */
async function draw(data, newPhase) {
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
    newPhase ? drawPhaseChart(charts.phase, newPhase) : null,
  ]);
}

form.addEventListener("input", () => {
  readControls();
  showState();
  schedule();
});
byId("distance").addEventListener("input", () => {
  readControls();
  schedule();
});
for (const button of document.querySelectorAll("[data-preset]")) {
  button.addEventListener("click", () => {
    const name = /** @type {keyof typeof PRESETS} */ (/** @type {HTMLElement} */ (button).dataset.preset);
    state.update(PRESETS[name]);
    showState();
    schedule();
  });
}

state.update({}); // the full state in the URL from the start, so the link can be shared
showState();
schedule();
