/**
 * The /lab page: train a recurrent network live (POST /api/train, server-sent events) or
 * compare the cells across delays (POST /api/train/compare). Every setting lives in the URL,
 * the seed too, so a shared link reproduces the run.
 * The page is ready (status.js) once the task catalogue is loaded; see training.js and
 * compare.js for the run's own test hooks.
 */
import { getJson } from "../api.js";
import { byId } from "../dom.js";
import { UrlState } from "../state.js";
import { ErrorBox, signalReady } from "../status.js";
import { createRunCharts } from "./charts.js";
import { Comparison } from "./compare.js";
import { Controls } from "./controls.js";
import { ModelPanel } from "./model-panel.js";
import { Replay } from "./replay.js";
import { compareRequest, LAB_PROPS, PRESETS, trainRequest } from "./settings.js";
import { Training } from "./training.js";

const state = new UrlState(LAB_PROPS);
const startButton = byId("start", HTMLButtonElement);
const stopButton = byId("stop", HTMLButtonElement);
const errors = new ErrorBox(byId("error"));

const training = new Training({
  charts: createRunCharts({
    curves: byId("curve-charts"), metric: byId("metric-box"), probe: byId("probe-box"),
  }),
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
  views: byId("views"),
  onBusy: (busy) => {
    startButton.disabled = busy;
    stopButton.disabled = !busy;
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
  controls.show();
  if (state.values.mode === "compare") comparison.scheduleEstimate();
});

/** The name a trained model is stored and downloaded under. */
function modelName() {
  const v = state.values;
  const parameter = controls.task(v.task)?.parameter;
  const detail = v.task === "corpus" ? `-${v.corpus}` : parameter ? `-${parameter.name}${v[parameter.name]}` : "";
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
  training.run(trainRequest(state.values, controls.task(state.values.task)), modelName());
});
stopButton.addEventListener("click", () => training.stop());

for (const button of document.querySelectorAll("button")) {
  const preset = PRESETS[button.dataset.preset ?? ""];
  if (!preset) continue;
  button.addEventListener("click", () => {
    state.update(preset);
    controls.show();
  });
}

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
  controls.show();
  state.update({});
  if (mode === "compare") comparison.estimate();
  document.body.dataset.run = "idle";
  signalReady(true);
}

init();
