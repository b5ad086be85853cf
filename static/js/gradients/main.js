/**
 * The /gradients page: every control lives in the URL; any change re-measures and redraws with
 * Plotly.react, live while a slider is dragged (`live.js`: always ending on the latest state).
 * The exploration and the phase diagram are two live views: the sweep, slower, only runs when
 * its own settings change, and never holds the other charts back. The page is ready (status.js)
 * once the last change is drawn everywhere.
 */
import { postJson } from "../api.js";
import { CELL_NAMES } from "../cells.js";
import { byId, el, formControl, formatNumber } from "../dom.js";
import { UrlState } from "../state.js";
import { ErrorBox, signalReady } from "../status.js";
import { LiveView } from "./live.js";
import {
  createCharts, drawCellPathChart, drawGradientChart, drawJacobianChart, drawPhaseChart, explainFactorGap, fillBlocks,
  fillClipping, meanRatio,
} from "./charts.js";

/** Every control of the page, with its type and default (the URL overrides); name = control id. */
const PROPS = /** @type {const} */ ([
  { name: "cells", type: "string", default: "rnn,lstm,gru" },
  { name: "steps", type: "int", default: 200 },
  { name: "hidden_size", type: "int", default: 64 },
  { name: "init", type: "string", default: "default" },
  { name: "scale", type: "string", default: "sigma" },
  { name: "gain", type: "float", default: 1.0 },
  { name: "nonlinearity", type: "string", default: "tanh" },
  { name: "forget_bias", type: "float", default: 1.0 },
  { name: "input", type: "string", default: "random" },
  { name: "text", type: "string", default: "I grew up in France. I went to school there and lived there for many years. I speak fluent French." },
  { name: "seed", type: "int", default: 0 },
  { name: "clip_norm", type: "float", default: 1.0 },
  { name: "clip_value", type: "float", default: 5.0 },
  { name: "distance", type: "int", default: 50 },
]);

/** @type {import("../state.js").Patch<typeof PROPS>} the page as it opens without a query */
const DEFAULTS = Object.fromEntries(PROPS.map((prop) => [prop.name, prop.default]));

/**
 * The lecture's stories, each as its changes to the defaults. A preset is a complete state
 * (the defaults plus its changes), so what an earlier preset or a moved control set never
 * leaks into it: "LSTM remembers" after "Identity init + ReLU" is tanh again.
 * @type {Record<string, import("../state.js").Patch<typeof PROPS>>}
 */
const PRESETS = {
  france: { cells: "rnn,lstm", input: "text", init: "orthogonal", gain: 0.9 },
  lstm: { steps: 300, scale: "none", forget_bias: 5.0 },
  irnn: { cells: "rnn", steps: 500, init: "identity", nonlinearity: "relu" },
  exploding: { cells: "rnn", init: "identity", gain: 1.2, nonlinearity: "relu" },
};

const state = new UrlState(PROPS);
const form = byId("controls", HTMLFormElement);
const cellBoxes = [...form.querySelectorAll("input")].filter((box) => box.name === "cell");
/** The controls named as the props, apart from the cell checkboxes. */
const controls = PROPS.filter((prop) => prop.name !== "cells").map((prop) => ({ prop, control: formControl(prop.name) }));
const charts = createCharts({
  main: byId("main-chart"), why: byId("why-charts"), phase: byId("phase-box"),
});
const errors = new ErrorBox(byId("error"), byId("views"));
const phaseErrors = new ErrorBox(byId("phase-error"), charts.phase.figure);
const status = byId("status");
/** The settings the phase diagram was last measured for. */
let phaseKey = "";

/** Copy the state into the controls. */
function showState() {
  const values = state.values;
  const cells = values.cells.split(",");
  for (const box of cellBoxes) box.checked = cells.includes(box.value);
  for (const { prop, control } of controls) control.value = String(values[prop.name]);
  byId("steps-out", HTMLOutputElement).textContent = String(values.steps);
  byId("gain-out", HTMLOutputElement).textContent = formatNumber(values.gain, 2);
  byId("forget_bias-out", HTMLOutputElement).textContent = formatNumber(values.forget_bias, 1);
  byId("text-label").hidden = values.input !== "text";
  byId("steps", HTMLInputElement).disabled = values.input === "text";
}

/** Read the controls into the state. */
function readControls() {
  /** @type {import("../state.js").Patch<typeof PROPS>} */
  const patch = { cells: cellBoxes.filter((box) => box.checked).map((box) => box.value).join(",") };
  for (const { prop, control } of controls) patch[prop.name] = prop.type === "string" ? control.value : Number(control.value);
  state.update(patch);
}

/** The explore request for the current state. */
function request() {
  const { cells, text, input, distance: _, ...rest } = state.values;
  return { ...rest, cells: cells.split(",").filter(Boolean), text: input === "text" ? text : null };
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
    const mean = meanRatio(r.grad_h);
    const measured = el("span", { class: "step-ratio", "data-mean-ratio": String(mean) },
      `measured × ${mean === null ? "—" : mean.toPrecision(3)} per step`);
    detail.append(" · ", measured, " · bound: σ", el("sub", {}, "max"), " of W", el("sub", {}, "hh"),
      ` ${formatNumber(r.blocks[0].sigma_max, 3)}`);
    return [el("dt", {}, CELL_NAMES[r.cell]), detail];
  });
  byId("summary").replaceChildren(...items);
}

/** The phase request: the sweep sets the gain itself, and reads random characters. */
function phaseRequest() {
  const { gain: _gain, text: _text, clip_norm: _norm, clip_value: _value, ...rest } = request();
  return { ...rest, text: null, steps: 200, distance: state.values.distance };
}

/** @typedef {{data: import("./charts.js").Exploration} | {error: unknown}} Measurement */

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
    return { error };
  }
}

/**
 * Draw one exploration, or its error over the dimmed views.
 * @param {Measurement} measurement
 */
async function show(measurement) {
  if ("error" in measurement) {
    errors.show(measurement.error);
    status.textContent = "";
    return;
  }
  const { data } = measurement;
  errors.clear();
  await draw(data);
  const input = `${data.text.slice(0, 60)}${data.text.length > 60 ? "…" : ""}`;
  status.textContent = `T = ${data.steps} steps, input “${input}”`;
}

/** @typedef {{phase: import("./charts.js").Phase} | {error: unknown}} PhaseMeasurement */

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
    return { error };
  }
}

/** @param {PhaseMeasurement} measurement */
async function showPhase(measurement) {
  if ("error" in measurement) {
    phaseErrors.show(measurement.error);
    return;
  }
  phaseErrors.clear();
  await drawPhaseChart(charts.phase, measurement.phase);
}

/** @type {Set<string>} views still measuring or drawing; the page is ready when none is */
const busyViews = new Set();

/** @param {string} name @returns {(busy: boolean) => void} */
function busyFlag(name) {
  return (busy) => {
    if (busy) busyViews.add(name);
    else busyViews.delete(name);
    signalReady(busyViews.size === 0);
    if (busy && name === "gradients") status.textContent = "measuring…";
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
  explainFactorGap(byId("factor-gap"), rnn);
  fillBlocks(byId("blocks", HTMLTableElement), data.results);
  fillClipping(byId("clipping", HTMLTableElement), data.results);
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
byId("distance", HTMLInputElement).addEventListener("input", () => {
  readControls();
  changed();
});
for (const button of document.querySelectorAll("button")) {
  const preset = PRESETS[button.dataset.preset ?? ""];
  if (!preset) continue;
  button.addEventListener("click", () => {
    state.update({ ...DEFAULTS, ...preset });
    showState();
    changed();
  });
}

state.update({}); // the full state in the URL from the start, so the link can be shared
showState();
changed();
