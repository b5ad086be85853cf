/**
 * The /hello page: wires URL state, data loading, the step controls and every panel.
 * Test hook: `body[data-ready]` is "true" once a render has finished, `body[data-step]` holds
 * the current step, `body[data-error]` is "true" while an error is shown.
 */
import { argmax, fetchModel, fetchTrace, postJson, traceUrl } from "../api.js";
import { TIMINGS } from "../config.js";
import { el, formatNumber, showChar } from "../dom.js";
import { inlineModel, isLocalModel, listLocalModels, loadLocalModel } from "../handoff.js";
import {
  chooseNotation, fillNotationSelect, NOTATIONS, rememberNotation, symbolText,
} from "../notation.js";
import { HELLO_SCHEMA, UrlState } from "../state.js";
import { StepControls } from "./controls.js";
import { UnrolledDiagram } from "./diagram.js";
import { renderEquations } from "./equations.js";
import { HelloPanels } from "./panels.js";

/**
 * @param {string} id
 * @returns {any}
 */
const byId = (id) => document.getElementById(id);

const body = document.body;
const state = new UrlState(HELLO_SCHEMA);
const modelSelect = /** @type {HTMLSelectElement} */ (byId("model"));
const notationSelect = /** @type {HTMLSelectElement} */ (byId("notation"));
const textInput = /** @type {HTMLInputElement} */ (byId("text"));
const errorBox = byId("error");
const views = byId("views");
const panels = new HelloPanels({
  input: byId("input-panel"),
  state: byId("state-panel"),
  output: byId("output-panel"),
  weights: byId("weights-panel"),
  time: byId("time-panel"),
});
const diagram = new UnrolledDiagram(byId("diagram"), (step) => showStep(step));
const controls = new StepControls(
  { reset: byId("reset"), back: byId("back"), play: byId("play"), forward: byId("forward"), scrubber: byId("scrubber") },
  (step) => showStep(step),
);

/** @type {import("../api.js").Trace | null} */
let trace = null;
let renderToken = 0;
let loadToken = 0;
/** @type {number | undefined} */
let typingTimer;

/** Mark the page busy: tests wait for data-ready="true" again. */
function busy() {
  body.dataset.ready = "false";
}

/**
 * Show an error message as text, and dim the (stale) views.
 * @param {string | null} message
 */
function setError(message) {
  errorBox.hidden = message === null;
  errorBox.textContent = message ?? "";
  body.dataset.error = String(message !== null);
  views.classList.toggle("stale", message !== null);
}

/**
 * The sentence under "This step": input, prediction, target, loss.
 * @param {number} t
 */
function describeStep(t) {
  const p = panels.prediction(t);
  const line = byId("prediction");
  const verdict = p.target === null ? "no target at the last step" : p.predicted === p.target ? "✓ correct" : "✗ wrong";
  line.className = `prediction ${p.target === null ? "" : p.predicted === p.target ? "correct" : "wrong"}`;
  line.dataset.predicted = p.predicted;
  line.dataset.target = p.target ?? "";
  const target = p.target === null ? "" : ` · target “${showChar(p.target)}”`;
  const loss = p.loss === null ? "" : ` · loss ${formatNumber(p.loss, 4)}`;
  line.textContent = `Input “${showChar(trace?.tokens[t] ?? "")}” → predicted “${showChar(p.predicted)}” ` +
    `(p = ${formatNumber(p.probability, 3)})${target} — ${verdict}${loss}`;
}

/**
 * Show step `step` (clamped) of the current trace.
 * @param {number} step
 */
async function showStep(step) {
  if (!trace) return;
  const count = trace.tokens.length;
  const t = Math.min(Math.max(Math.trunc(step), 0), count - 1);
  const token = ++renderToken;
  busy();
  body.dataset.step = String(t);
  state.update({ step: t });
  controls.show(t, count);
  byId("step-label").textContent = `t = ${t} of ${count - 1}: input “${showChar(trace.tokens[t])}”`;
  diagram.highlight(t);
  renderEquations(byId("equations"), trace, t, String(state.values.notation));
  describeStep(t);
  try {
    await panels.showStep(t);
  } catch (error) {
    setError(`could not draw the charts: ${/** @type {Error} */ (error).message}`);
  }
  if (token === renderToken) body.dataset.ready = "true";
}

/** @type {string | null} the object URL of a local model's trace download */
let traceBlobUrl = null;

/**
 * The trace and weights of a built-in model (GET, cacheable) or of a model stored in this
 * browser (`local:<name>`, traced inline with POST).
 * @param {string} model
 * @param {string} text
 * @returns {Promise<[import("../api.js").Trace, Record<string, any>]>}
 */
async function fetchData(model, text) {
  if (traceBlobUrl !== null) URL.revokeObjectURL(traceBlobUrl);
  traceBlobUrl = null;
  if (!isLocalModel(model)) {
    const request = { model, text, projections: true };
    byId("trace-json").href = traceUrl(request);
    const [nextTrace, nextModel] = await Promise.all([fetchTrace(request), fetchModel(model)]);
    return [nextTrace, nextModel.state_dict];
  }
  const spec = inlineModel(loadLocalModel(model));
  const nextTrace = await postJson("/api/trace", { model: spec, text, projections: true });
  traceBlobUrl = URL.createObjectURL(new Blob([JSON.stringify(nextTrace)], { type: "application/json" }));
  byId("trace-json").href = traceBlobUrl;
  return [nextTrace, spec.state_dict];
}

/** Fetch the trace and weights for the state's model and text, then draw everything. */
async function load() {
  const token = ++loadToken;
  busy();
  const { model, text } = /** @type {{model: string, text: string}} */ (state.values);
  try {
    const [nextTrace, weights] = await fetchData(model, text);
    if (token !== loadToken) return;
    setError(null);
    trace = nextTrace;
    panels.setTrace(nextTrace, weights);
    const predictions = nextTrace.probs.map((row) => nextTrace.vocab[argmax(row)]);
    diagram.build({
      tokens: nextTrace.tokens, predictions, targets: nextTrace.targets, cellName: nextTrace.cell.toUpperCase(),
    });
    await showStep(Number(state.values.step));
  } catch (error) {
    if (token !== loadToken) return;
    controls.pause();
    setError(/** @type {Error} */ (error).message);
    body.dataset.ready = "true";
  }
}

/** Show the chosen model's description (as text). */
function describeModel() {
  const option = modelSelect.selectedOptions[0];
  byId("model-description").textContent = option ? (option.dataset.description ?? "") : "";
}

/** Add the models stored in this browser (trained in /lab, uploaded in /explore). */
function addLocalModels() {
  const local = listLocalModels();
  const wanted = String(state.values.model);
  if (isLocalModel(wanted) && !local.includes(wanted)) local.push(wanted);
  if (local.length === 0) return;
  const group = el("optgroup", { label: "In this browser" });
  for (const model of local) {
    group.append(el("option", { value: model, "data-description": "A model stored in this browser." }, model));
  }
  modelSelect.append(group);
}

/** Name the weights in the chosen notation everywhere on the page; remember the choice. */
function applyNotation() {
  const notation = String(state.values.notation);
  const n = NOTATIONS[notation];
  panels.setNotation(notation);
  diagram.setSharedWeights([n.inputWeight(""), n.hiddenWeight(""), n.outputWeight].map(symbolText));
  byId("weights-note").textContent =
    `The same matrices at every step. The outlined column of ${symbolText(n.inputWeight(""))} is the ` +
    "one the one-hot x_t picks out.";
  rememberNotation(notation);
}

addLocalModels();
state.update({ notation: chooseNotation(String(state.values.notation)) });
fillNotationSelect(notationSelect, String(state.values.notation));
applyNotation();
notationSelect.addEventListener("change", () => {
  state.update({ notation: notationSelect.value });
  applyNotation();
  if (trace) showStep(Number(state.values.step));
});
modelSelect.value = String(state.values.model);
textInput.value = String(state.values.text);
describeModel();
modelSelect.addEventListener("change", () => {
  controls.pause();
  state.update({ model: modelSelect.value });
  describeModel();
  load();
});
textInput.addEventListener("input", () => {
  busy();
  controls.pause();
  window.clearTimeout(typingTimer);
  typingTimer = window.setTimeout(() => {
    state.update({ text: textInput.value });
    load();
  }, TIMINGS.typingDebounce);
});
byId("setup").addEventListener("submit", (/** @type {Event} */ event) => event.preventDefault());
load();
