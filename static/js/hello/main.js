/**
 * The /hello page: wires URL state, data loading, the step controls and every panel.
 * Test hooks (besides status.js's): `body[data-step]` holds the current step.
 */
import { argmax } from "../arrays.js";
import { TIMINGS } from "../config.js";
import { byId, formatNumber, showChar } from "../dom.js";
import { stepEquations } from "../equations.js";
import { addLocalModels } from "../handoff.js";
import { chooseNotation, fillNotationSelect, NOTATIONS, rememberNotation, symbolText } from "../notation.js";
import { UrlState } from "../state.js";
import { ErrorBox, signalReady } from "../status.js";
import { StepControls } from "../stepper.js";
import { fetchModel, fetchTrace, linkTrace } from "../trace.js";
import { UnrolledDiagram } from "./diagram.js";
import { HelloPanels } from "./panels.js";

/** The page's state: which model, which text, which step (0-based), which notation. */
const PROPS = /** @type {const} */ ([
  { name: "model", type: "string", default: "hello-rnn" },
  { name: "text", type: "string", default: "hello" },
  { name: "step", type: "int", default: 0 },
  { name: "notation", type: "string", default: "" }, // "" = the one remembered in this browser
]);

const state = new UrlState(PROPS);
const modelSelect = byId("model", HTMLSelectElement);
const notationSelect = byId("notation", HTMLSelectElement);
const textInput = byId("text", HTMLInputElement);
const errors = new ErrorBox(byId("error"), byId("views"));
const panels = new HelloPanels({
  input: byId("input-panel"),
  state: byId("state-panel"),
  output: byId("output-panel"),
  weights: byId("weights-panel"),
  time: byId("time-panel"),
});
const diagram = new UnrolledDiagram(byId("diagram"), (step) => showStep(step));
const controls = new StepControls({
  first: byId("reset", HTMLButtonElement), back: byId("back", HTMLButtonElement), play: byId("play", HTMLButtonElement),
  forward: byId("forward", HTMLButtonElement), scrubber: byId("scrubber", HTMLInputElement),
}, (step) => showStep(step), TIMINGS.playInterval);

/** @type {import("../trace.js").Trace | null} */
let trace = null;
let renderToken = 0;
let loadToken = 0;
/** @type {number | undefined} */
let typingTimer;

/**
 * The sentence under "This step": input, prediction, target, loss.
 * @param {import("../trace.js").Trace} trace
 * @param {number} t
 */
function describeStep(trace, t) {
  const best = argmax(trace.probs[t]);
  const predicted = trace.vocab[best];
  const target = trace.targets[t];
  const loss = trace.loss[t];
  const outcome = target === null ? "" : predicted === target ? "correct" : "wrong";
  const verdict = { "": "no target at the last step", correct: "✓ correct", wrong: "✗ wrong" }[outcome];
  const line = byId("prediction");
  line.className = `prediction ${outcome}`;
  line.dataset.predicted = predicted;
  line.dataset.target = target ?? "";
  const targetText = target === null ? "" : ` · target “${showChar(target)}”`;
  const lossText = loss === null ? "" : ` · loss ${formatNumber(loss, 4)}`;
  line.textContent = `Input “${showChar(trace.tokens[t])}” → predicted “${showChar(predicted)}” ` +
    `(p = ${formatNumber(trace.probs[t][best], 3)})${targetText} — ${verdict}${lossText}`;
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
  signalReady(false);
  document.body.dataset.step = String(t);
  state.update({ step: t });
  controls.show(t, count);
  byId("step-label").textContent = `t = ${t} of ${count - 1}: input “${showChar(trace.tokens[t])}”`;
  diagram.highlight(t);
  byId("equations").replaceChildren(...stepEquations(trace, t, state.values.notation));
  describeStep(trace, t);
  try {
    await panels.showStep(t);
  } catch (error) {
    errors.show(error, "could not draw the charts: ");
  }
  if (token === renderToken) signalReady(true);
}

/** Fetch the trace and weights of the state's model and text, then draw everything. */
async function load() {
  const token = ++loadToken;
  signalReady(false);
  const request = { model: state.values.model, text: state.values.text, projections: true };
  try {
    const [next, model] = await Promise.all([fetchTrace(request), fetchModel(request.model)]);
    if (token !== loadToken) return;
    errors.clear();
    trace = next;
    linkTrace(byId("trace-json", HTMLAnchorElement), request, next);
    panels.setTrace(next, model.state_dict);
    const predictions = next.probs.map((row) => next.vocab[argmax(row)]);
    diagram.build({ tokens: next.tokens, predictions, targets: next.targets, cellName: next.cell.toUpperCase() });
    await showStep(state.values.step);
  } catch (error) {
    if (token !== loadToken) return;
    controls.pause();
    errors.show(error);
    signalReady(true);
  }
}

/** Show the chosen model's description (as text). */
function describeModel() {
  const option = modelSelect.selectedOptions[0];
  const description = option ? (option.dataset.description ?? "A model stored in this browser.") : "";
  byId("model-description").textContent = description;
}

/** Name the weights in the chosen notation everywhere on the page; remember the choice. */
function applyNotation() {
  const notation = state.values.notation;
  const n = NOTATIONS[notation];
  panels.setNotation(notation);
  diagram.setSharedWeights([n.inputWeight(""), n.hiddenWeight(""), n.outputWeight].map(symbolText));
  byId("weights-note").textContent =
    `The same matrices at every step. The outlined column of ${symbolText(n.inputWeight(""))} is the ` +
    "one the one-hot x_t picks out.";
  rememberNotation(notation);
}

addLocalModels(modelSelect, state.values.model);
state.update({ notation: chooseNotation(state.values.notation) });
fillNotationSelect(notationSelect, state.values.notation);
applyNotation();
notationSelect.addEventListener("change", () => {
  state.update({ notation: notationSelect.value });
  applyNotation();
  showStep(state.values.step);
});
modelSelect.value = state.values.model;
textInput.value = state.values.text;
describeModel();
modelSelect.addEventListener("change", () => {
  controls.pause();
  state.update({ model: modelSelect.value });
  describeModel();
  load();
});
textInput.addEventListener("input", () => {
  signalReady(false);
  controls.pause();
  window.clearTimeout(typingTimer);
  typingTimer = window.setTimeout(() => {
    state.update({ text: textInput.value });
    load();
  }, TIMINGS.typingDebounce);
});
byId("setup", HTMLFormElement).addEventListener("submit", (event) => event.preventDefault());
load();
