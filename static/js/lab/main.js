/**
 * The /lab page: train a recurrent network live (POST /api/train, server-sent events) or
 * compare the cells across delays (POST /api/train/compare). Every setting lives in the URL,
 * the seed too, so a shared link reproduces the run.
 * Test hooks: `body[data-ready]` is "true" once the task catalogue is loaded; see training.js
 * and compare.js for the run's own hooks.
 */
import { UrlState } from "../state.js";
import { createRunCharts } from "./charts.js";
import { Comparison } from "./compare.js";
import { Controls } from "./controls.js";
import { ModelPanel } from "./model-panel.js";
import { Replay } from "./replay.js";
import { compareRequest, LAB_SCHEMA, PRESETS, trainRequest } from "./settings.js";
import { Training } from "./training.js";

/** @param {string} id @returns {any} */
const byId = (id) => document.getElementById(id);

const body = document.body;
const state = new UrlState(LAB_SCHEMA);
const startButton = byId("start");
const stopButton = byId("stop");

const training = new Training({
  charts: createRunCharts({ curves: byId("curve-charts"), metric: byId("metric-chart"), probe: byId("probe-chart") }),
  replay: new Replay({ slider: byId("replay"), label: byId("replay-label"), charts: byId("replay-charts") }),
  model: new ModelPanel({
    summary: byId("model-summary"), note: byId("model-note"), explore: byId("open-explore"),
    hello: byId("open-hello"), download: byId("download-model"), log: byId("download-log"),
  }),
  progress: byId("progress"),
  status: byId("run-status"),
  error: byId("error"),
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
    chart: byId("compare-chart"), runs: byId("compare-runs"), status: byId("compare-status"),
    progress: byId("compare-progress"), error: byId("compare-error"), start: byId("compare-start"),
    stop: byId("compare-stop"),
  },
  () => /** @type {any} */ (compareRequest(state.values)),
);
const controls = new Controls(state, () => {
  controls.show();
  if (state.values.mode === "compare") comparison.scheduleEstimate();
});

/** The name a trained model is stored and downloaded under. */
function modelName() {
  const v = state.values;
  const parameter = controls.task(String(v.task))?.parameter;
  const detail = v.task === "corpus" ? `-${v.corpus}` : parameter ? `-${parameter.name}${v[parameter.name]}` : "";
  return `lab-${v.task}${detail}-${v.cell}${v.hidden_size}-seed${v.seed}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/**
 * Show one mode (tab) of the page; the comparison says at once how long it would take.
 * @param {string} mode "train" | "compare"
 * @param {boolean} [estimate] false before the settings are loaded
 */
function showMode(mode, estimate = true) {
  state.update({ mode });
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = /** @type {HTMLElement} */ (tab).dataset.mode === mode;
    tab.setAttribute("aria-selected", String(selected));
    tab.setAttribute("tabindex", selected ? "0" : "-1");
  }
  byId("train-mode").hidden = mode !== "train";
  byId("compare-mode").hidden = mode !== "compare";
  if (mode === "compare" && estimate) comparison.estimate();
}

const tabs = [...document.querySelectorAll('[role="tab"]')];
for (const tab of tabs) {
  const element = /** @type {HTMLElement} */ (tab);
  element.addEventListener("click", () => showMode(String(element.dataset.mode)));
  element.addEventListener("keydown", (/** @type {KeyboardEvent} */ event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const step = event.key === "ArrowRight" ? 1 : tabs.length - 1;
    const next = /** @type {HTMLElement} */ (tabs[(tabs.indexOf(tab) + step) % tabs.length]);
    showMode(String(next.dataset.mode));
    next.focus();
    event.preventDefault();
  });
}

startButton.addEventListener("click", () => {
  const v = state.values;
  training.run(trainRequest(v, controls.task(String(v.task))), modelName());
});
stopButton.addEventListener("click", () => training.stop());

for (const button of document.querySelectorAll("[data-preset]")) {
  button.addEventListener("click", () => {
    const name = /** @type {keyof typeof PRESETS} */ (/** @type {HTMLElement} */ (button).dataset.preset);
    state.update(PRESETS[name]);
    controls.show();
  });
}

/** Load the task catalogue, then show the state. */
async function init() {
  const mode = String(state.values.mode) === "compare" ? "compare" : "train";
  showMode(mode, false);
  try {
    const response = await fetch("/api/train/tasks", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`GET /api/train/tasks answered ${response.status}`);
    controls.setCatalogue(await response.json());
  } catch (error) {
    const box = byId("error");
    box.hidden = false;
    box.textContent = `Could not load the tasks: ${/** @type {Error} */ (error).message}`;
    startButton.disabled = true;
  }
  controls.show();
  state.update({});
  if (mode === "compare") comparison.estimate();
  body.dataset.run = "idle";
  body.dataset.ready = "true";
}

init();
