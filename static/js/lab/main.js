/**
 * The /lab page: train a recurrent network live (POST /api/train, server-sent events) or
 * compare the cells across delays (POST /api/train/compare). Every setting lives in the URL,
 * the seed too, so a shared link reproduces the run.
 * The lecture: guided stories (stories.js) set the presets scene by scene, a lecture pace
 * (pace.js) shows a run slowly, and the page warns before a run that would outlast the
 * server's time limit (estimate.js). In the presenter view the settings, the run bar, the
 * curves and the probe gradient chart share one screen (lab-lecture.css; the charts' heights
 * are fitted here).
 * The page is ready (status.js) once the task catalogue is loaded; see training.js and
 * compare.js for the run's own test hooks.
 */
import { getJson } from "../api.js";
import { byId, el } from "../dom.js";
import { presenting } from "../present.js";
import { UrlState } from "../state.js";
import { ErrorBox, signalReady } from "../status.js";
import { StoryPlayer } from "../story.js";
import { createRunCharts, probeAxisTitle } from "./charts.js";
import { Comparison } from "./compare.js";
import { Controls } from "./controls.js";
import { calibrate, overTimeLimit } from "./estimate.js";
import { ModelPanel } from "./model-panel.js";
import { PACES, paceRate } from "./pace.js";
import { Replay } from "./replay.js";
import { compareDefaults, compareRequest, LAB_PROPS, PRESETS, trainRequest } from "./settings.js";
import { STORIES } from "./stories.js";
import { Training } from "./training.js";

const state = new UrlState(LAB_PROPS);
const startButton = byId("start", HTMLButtonElement);
const stopButton = byId("stop", HTMLButtonElement);
const skipButton = byId("skip", HTMLButtonElement);
const paceSelect = byId("pace", HTMLSelectElement);
const timeNote = byId("time-note");
const views = byId("views");
const errors = new ErrorBox(byId("error"));
const charts = createRunCharts({
  curves: byId("curve-charts"), metric: byId("metric-box"), probe: byId("probe-box"), forecast: byId("forecast-box"),
});
// The presenter's core view, and the chart `F` shows first.
for (const chart of [charts.loss, charts.probe]) chart.figure.dataset.core = "";
charts.probe.figure.dataset.mainChart = "";
// The presenter view's grid (lab-lecture.css) puts the series' forecast before the probe chart.
charts.forecast.figure.style.order = "3";

const training = new Training({
  charts,
  replay: new Replay({
    slider: byId("replay", HTMLInputElement), label: byId("replay-label"), charts: byId("replay-charts"),
  }),
  model: new ModelPanel({
    summary: byId("model-summary"), note: byId("model-note"),
    explore: byId("open-explore", HTMLAnchorElement), hello: byId("open-hello", HTMLAnchorElement),
    download: byId("download-model", HTMLButtonElement), log: byId("download-log", HTMLButtonElement),
  }),
  progress: byId("progress", HTMLProgressElement),
  status: byId("run-status", HTMLOutputElement),
  errors,
  probeDescription: byId("probe-description"),
  taskDescription: byId("task-description"),
  views,
  forecastPanel: byId("forecast-panel"),
  verdict: byId("run-verdict"),
  onBusy: (busy) => {
    startButton.disabled = busy;
    stopButton.disabled = !busy;
    skipButton.hidden = !busy || paceRate(state.values.pace) === 0;
  },
  onStart: (estimated) => {
    if (training.request) calibrate(training.request, controls.task(training.request.task), estimated);
    fitCharts();
  },
});
const comparison = new Comparison(
  {
    chart: byId("compare-box"), runs: byId("compare-runs", HTMLTableElement),
    status: byId("compare-status", HTMLOutputElement), progress: byId("compare-progress", HTMLProgressElement),
    errors: new ErrorBox(byId("compare-error")), start: byId("compare-start", HTMLButtonElement),
    stop: byId("compare-stop", HTMLButtonElement),
  },
  () => compareRequest(state.values),
);
const controls = new Controls(state, () => {
  showSettings();
  if (state.values.mode === "compare") comparison.scheduleEstimate();
});

/** Copy the state into the controls, and warn when the run would outlast the time limit. */
function showSettings() {
  controls.show();
  paceSelect.value = state.values.pace;
  const task = controls.task(state.values.task);
  const note = overTimeLimit(trainRequest(state.values, task), task, controls.catalogue?.limits.max_seconds);
  timeNote.textContent = note ?? "";
  timeNote.hidden = note === null;
}

/**
 * Plotly.relayout, which globals.d.ts (shared by every page) does not declare; looked up when
 * called (Plotly loads after the page's modules run).
 * @param {HTMLElement} root
 * @param {object} update
 */
const relayout = (root, update) => /** @type {any} */ (Plotly).relayout(root, update);

/** Chart heights outside the presenter view. */
const HEIGHTS = new Map(Object.values(charts).map((chart) => [chart, chart.height]));
/** The smallest chart height (px) the presenter view fits to. */
const MIN_HEIGHT = 200;

/**
 * Fit the run's charts to the screen in the presenter view (each down to the viewport's
 * bottom), back to their own heights outside it; the probe chart's axis title to its width.
 */
function fitCharts() {
  if (views.hidden) return;
  for (const [chart, height] of HEIGHTS) {
    const top = chart.plot.getBoundingClientRect().top + window.scrollY;
    const fitted = presenting() ? Math.max(MIN_HEIGHT, Math.floor(window.innerHeight - top - 12)) : height;
    const changed = fitted !== chart.height;
    chart.height = fitted;
    if (!chart.drawn) continue;
    /** @type {Record<string, unknown>} */
    const update = changed ? { height: fitted } : {};
    if (chart === charts.probe) update["xaxis.title.text"] = probeAxisTitle(chart.plot.clientWidth);
    if (Object.keys(update).length > 0) relayout(chart.plot, update);
  }
}
document.addEventListener("unrolled:present", () => requestAnimationFrame(fitCharts));
// A story's question and its reveal change the height above the charts.
new ResizeObserver(() => fitCharts()).observe(byId("story"));
window.addEventListener("resize", () => requestAnimationFrame(fitCharts));

/** The name a trained model is stored and downloaded under. */
function modelName() {
  const v = state.values;
  const parameter = controls.task(v.task)?.parameter;
  const option = v.task === "corpus" ? `-${v.corpus}` : v.task === "series" ? `-${v.series}` : "";
  const detail = v.task === "corpus" ? option : `${option}${parameter ? `-${parameter.name}${v[parameter.name]}` : ""}`;
  return `lab-${v.task}${detail}-${v.cell}${v.hidden_size}-seed${v.seed}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

const tabs = [...document.querySelectorAll("button")].filter((button) => button.getAttribute("role") === "tab");

/**
 * Show one mode (tab) of the page; the comparison says at once how long it would take.
 * @param {string} mode "train" | "compare"
 * @param {boolean} [estimate] false before the settings are loaded
 */
function showMode(mode, estimate = true) {
  state.update({ mode });
  for (const tab of tabs) {
    const selected = tab.dataset.mode === mode;
    tab.setAttribute("aria-selected", String(selected));
    tab.setAttribute("tabindex", selected ? "0" : "-1");
  }
  byId("train-mode").hidden = mode !== "train";
  byId("compare-mode").hidden = mode !== "compare";
  if (mode === "compare" && estimate) comparison.estimate();
}

for (const tab of tabs) {
  tab.addEventListener("click", () => showMode(String(tab.dataset.mode)));
  tab.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const step = event.key === "ArrowRight" ? 1 : tabs.length - 1;
    const next = tabs[(tabs.indexOf(tab) + step) % tabs.length];
    showMode(String(next.dataset.mode));
    next.focus();
    event.preventDefault();
  });
}

startButton.addEventListener("click", () => {
  const request = trainRequest(state.values, controls.task(state.values.task));
  training.run(request, modelName(), paceRate(state.values.pace)).then(() => {
    showSettings();
    fitCharts(); // the run's verdict may have moved the charts
  });
});
stopButton.addEventListener("click", () => training.stop());
skipButton.addEventListener("click", () => training.skip());
paceSelect.replaceChildren(...PACES.map((p) => el("option", { value: p.value }, p.label)));
paceSelect.addEventListener("input", () => {
  state.update({ pace: paceSelect.value });
  if (paceRate(paceSelect.value) === 0) training.skip();
});

for (const button of document.querySelectorAll("button")) {
  const preset = PRESETS[button.dataset.preset ?? ""];
  if (!preset) continue;
  button.addEventListener("click", () => {
    state.update(preset);
    showSettings();
  });
}

/**
 * Show a story scene: the page's defaults (the pace, a viewing choice, stays), the scene's
 * fields over them; a run in progress stops and the last run's views close, so every scene
 * looks the same however it was reached.
 * @param {import("../story.js").SceneState} scene
 */
function applyScene(scene) {
  training.stop();
  views.hidden = true;
  document.body.dataset.run = "idle";
  byId("run-verdict").hidden = true;
  byId("run-status").textContent = "";
  errors.clear();
  /** @type {Record<string, string | number>} */
  const defaults = Object.fromEntries(LAB_PROPS.map((prop) => [prop.name, prop.default]));
  const compare = controls.catalogue ? compareDefaults(controls.catalogue.compare_defaults, new URLSearchParams()) : {};
  state.update({ ...defaults, ...compare, pace: state.values.pace, ...scene });
  controls.useTaskDefault(state.values.task, true);
  showMode(state.values.mode === "compare" ? "compare" : "train");
  showSettings();
}
const stories = new StoryPlayer(byId("story"), STORIES, applyScene, state);

/** Load the task catalogue, then show the state. */
async function init() {
  const mode = state.values.mode === "compare" ? "compare" : "train";
  showMode(mode, false);
  try {
    controls.setCatalogue(await getJson("/api/train/tasks"));
  } catch (error) {
    errors.show(error, "Could not load the tasks: ");
    startButton.disabled = true;
  }
  showSettings();
  state.update({});
  if (mode === "compare") comparison.estimate();
  document.body.dataset.run = "idle";
  stories.resume();
  signalReady(true);
}

init();
