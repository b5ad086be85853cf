/**
 * The /gradients page: every control lives in the URL; any change re-measures and redraws with
 * Plotly.react, live while a slider is dragged (`live.js`: always ending on the latest state).
 * The exploration and the phase diagram are two live views: the sweep, slower, only runs when
 * its own settings change, and never holds the other charts back. The page is ready (status.js)
 * once the last change is drawn everywhere. The lecture's stories (stories.js) set whole states;
 * in the presenter view the main chart takes the height the screen leaves it.
 */
import { postJson } from "../api.js";
import { CELL_NAMES, hasCellState } from "../cells.js";
import { byId, el, formControl, formatNumber } from "../dom.js";
import { presenting } from "../present.js";
import { UrlState } from "../state.js";
import { ErrorBox, signalReady } from "../status.js";
import { StoryPlayer } from "../story.js";
import { LiveView } from "./live.js";
import {
  createCharts, drawCellPathChart, drawGradientChart, drawJacobianChart, drawPhaseChart, explainFactorGap, fillBlocks,
  fillClipping, meanRatio, wordDistances,
} from "./charts.js";
import { STORIES } from "./stories.js";

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

/** The word of a real text marked on the distance axis: the evidence "fluent ___" needs. */
const MARKED_WORD = "France";

/** @type {import("../state.js").Patch<typeof PROPS>} the page as it opens without a query */
const DEFAULTS = Object.fromEntries(PROPS.map((prop) => [prop.name, prop.default]));

const state = new UrlState(PROPS);
const form = byId("controls", HTMLFormElement);
const cellBoxes = [...form.querySelectorAll("input")].filter((box) => box.name === "cell");
/** The controls named as the props, apart from the cell checkboxes. */
const controls = PROPS.filter((prop) => prop.name !== "cells").map((prop) => ({ prop, control: formControl(prop.name) }));
const charts = createCharts({
  main: byId("main-chart"), why: byId("why-charts"), phase: byId("phase-box"),
});
charts.gradient.figure.dataset.mainChart = ""; // key F shows it full screen (present.js)
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
  if (payload.cells.length === 0) return { error: "cells: choose at least one of RNN, LSTM, GRU, peephole LSTM" };
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
/** @type {(() => void)[]} called once no view is busy (a story's scene is then shown) */
let idleWaiters = [];

/** @param {string} name @returns {(busy: boolean) => void} */
function busyFlag(name) {
  return (busy) => {
    if (busy) busyViews.add(name);
    else busyViews.delete(name);
    signalReady(busyViews.size === 0);
    if (busyViews.size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
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

/** The main chart's height when the page opens: Chart's own, kept for leaving the presenter view. */
const CHART_HEIGHT = charts.gradient.height;
/** The main chart's lowest height in the presenter view: below it, the page scrolls instead. */
const PRESENT_MIN_HEIGHT = 220;
/** Pixels under the summary to the screen's edge: the panel's padding and border, and a margin. */
const UNDER_SUMMARY = 36;

/**
 * The main chart's height: its own, or in the presenter view what the screen leaves below the
 * plot's top once the summary under it is seen (measured at scroll 0).
 */
function mainChartHeight() {
  if (!presenting()) return CHART_HEIGHT;
  const top = charts.gradient.plot.getBoundingClientRect().top + window.scrollY;
  const below = byId("summary").offsetHeight + charts.gradient.details.offsetHeight + UNDER_SUMMARY;
  return Math.max(PRESENT_MIN_HEIGHT, Math.floor(window.innerHeight - top - below));
}

/**
 * Draw the main chart again at the height the screen leaves it, if that moved (the page around
 * it can settle after it is drawn: text wraps once the plot has its width).
 * @returns {Promise<void>}
 */
async function fitMainChart() {
  const height = mainChartHeight();
  if (height === charts.gradient.height) return;
  charts.gradient.height = height;
  if (charts.gradient.last) await charts.gradient.render(...charts.gradient.last);
}

/** The presenter view toggled, the window or the story bar resized: fit the main chart again. */
function refitMainChart() {
  if (!busyViews.has("gradients")) fitMainChart(); // else the drawing under way fits it
}

/**
 * @param {import("./charts.js").Exploration} data
 */
async function draw(data) {
  const rnn = data.results.find((r) => r.cell === "rnn");
  const lstm = data.results.find((r) => hasCellState(r.cell)); // the first LSTM, plain or peephole
  charts.jacobian.figure.hidden = !rnn;
  charts.cellPath.figure.hidden = !lstm;
  summarise(data);
  explainFactorGap(byId("factor-gap"), rnn);
  fillBlocks(byId("blocks", HTMLTableElement), data.results);
  fillClipping(byId("clipping", HTMLTableElement), data.results);
  charts.gradient.height = mainChartHeight();
  const marked = state.values.input === "text" ? wordDistances(data.text, MARKED_WORD) : null;
  await Promise.all([
    drawGradientChart(charts.gradient, data, marked),
    rnn ? drawJacobianChart(charts.jacobian, rnn) : null,
    lstm ? drawCellPathChart(charts.cellPath, lstm) : null,
  ]);
  await fitMainChart();
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

/**
 * Show a story's scene: the defaults with the scene's fields over them (so no earlier scene or
 * moved control leaks into it), resolved once every view has drawn it.
 * @param {import("../story.js").SceneState} scene
 * @returns {Promise<void>}
 */
function applyScene(scene) {
  const shown = new Promise((resolve) => idleWaiters.push(() => resolve(undefined)));
  state.update({ ...DEFAULTS, ...scene });
  showState();
  changed();
  return shown;
}

const stories = new StoryPlayer(byId("story"), STORIES, applyScene, state);
new ResizeObserver(refitMainChart).observe(byId("story"));
window.addEventListener("resize", refitMainChart);
document.addEventListener("unrolled:present", refitMainChart);

state.update({}); // the full state in the URL from the start, so the link can be shared
showState();
changed();
stories.resume();
