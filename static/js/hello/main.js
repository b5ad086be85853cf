/**
 * The /hello page: wires URL state, data loading, the step controls, every panel and the
 * lecture's stories. The steps run forward through the text, then backward (backpropagation
 * through time) from the last step to the first: one timeline for the controls, `phase` and
 * `step` in the URL; `sgd` counts the SGD updates applied (with `lr`), so a link reproduces them.
 * Test hooks (besides status.js's): `body[data-step]` holds the current step, `body[data-phase]`
 * "forward" or "backward".
 */
import { argmax } from "../arrays.js";
import { TIMINGS } from "../config.js";
import { byId, el, formatNumber, showChar } from "../dom.js";
import { stepEquations } from "../equations.js";
import { addLocalModels } from "../handoff.js";
import { chooseNotation, fillNotationSelect, NOTATIONS, rememberNotation, symbolText } from "../notation.js";
import { UrlState } from "../state.js";
import { StoryPlayer } from "../story.js";
import { ErrorBox, signalReady } from "../status.js";
import { StepControls } from "../stepper.js";
import { fetchModel, fetchTrace, linkTrace } from "../trace.js";
import { BackwardPanel } from "./backward.js";
import { UnrolledDiagram } from "./diagram.js";
import { HelloPanels } from "./panels.js";
import { SgdPanel } from "./sgd.js";
import { STORIES } from "./stories.js";

/**
 * The page's state: model, text, phase and step (0-based), notation, the SGD steps' learning
 * rate and how many SGD steps are applied.
 */
const PROPS = /** @type {const} */ ([
  { name: "model", type: "string", default: "hello-rnn" },
  { name: "text", type: "string", default: "hello" },
  { name: "phase", type: "string", default: "forward" }, // "forward", then "backward"
  { name: "step", type: "int", default: 0 },
  { name: "notation", type: "string", default: "" }, // "" = the one remembered in this browser
  { name: "lr", type: "float", default: 1 }, // the trained models' gradients are small: 1 is a small step
  { name: "sgd", type: "int", default: 0 }, // SGD steps applied, each from the weights the last one left
]);
/** @type {Record<string, string | number>} every prop's default (a scene's state goes over them) */
const DEFAULTS = Object.fromEntries(PROPS.map((prop) => [prop.name, prop.default]));

/** @typedef {import("./diagram.js").Phase} Phase */

const state = new UrlState(PROPS);
const modelSelect = byId("model", HTMLSelectElement);
const notationSelect = byId("notation", HTMLSelectElement);
const textInput = byId("text", HTMLInputElement);
const lrInput = byId("lr", HTMLInputElement);
const errors = new ErrorBox(byId("error"), byId("views"));
const sgdErrors = new ErrorBox(byId("sgd-error"));
const panels = new HelloPanels({
  input: byId("input-panel"),
  state: byId("state-panel"),
  output: byId("output-panel"),
  weights: byId("weights-panel"),
  time: byId("time-panel"),
});
const backward = new BackwardPanel({
  summary: byId("backward-summary"),
  losses: byId("loss-table"),
  equations: byId("backward-equations"),
  sums: byId("gradient-sums"),
  sumNote: byId("sum-note"),
});
const sgd = new SgdPanel(byId("sgd-result"));
const diagram = new UnrolledDiagram(byId("diagram"), (t) => showPosition(position(phaseOf(state.values.phase), t)));
const controls = new StepControls({
  first: byId("reset", HTMLButtonElement), back: byId("back", HTMLButtonElement), play: byId("play", HTMLButtonElement),
  forward: byId("forward", HTMLButtonElement), scrubber: byId("scrubber", HTMLInputElement),
}, (p) => showPosition(p), TIMINGS.playInterval);
const phaseButtons = { forward: byId("phase-forward", HTMLButtonElement), backward: byId("phase-backward", HTMLButtonElement) };

/** @type {import("../trace.js").BackwardTrace | null} */
let trace = null;
let renderToken = 0;
let loadToken = 0;
/** @type {number | undefined} */
let typingTimer;

/**
 * A URL's phase, or forward.
 * @param {string} value
 * @returns {Phase}
 */
const phaseOf = (value) => (value === "backward" ? "backward" : "forward");

/** Steps in the text (1 before anything loaded). */
const stepCount = () => trace?.tokens.length ?? 1;

/**
 * Where a phase and step sit on the one timeline of the controls: forward 0 … T−1, then
 * backward T−1 … 0 at T … 2T−1.
 * @param {Phase} phase
 * @param {number} t
 * @returns {number}
 */
function position(phase, t) {
  const count = stepCount();
  const step = Math.min(Math.max(Math.trunc(t), 0), count - 1);
  return phase === "backward" ? 2 * count - 1 - step : step;
}

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
 * Show a position of the timeline (clamped): a forward step, or a backward one.
 * @param {number} p
 */
async function showPosition(p) {
  if (!trace) return;
  const count = trace.tokens.length;
  const at = Math.min(Math.max(Math.trunc(p), 0), 2 * count - 1);
  /** @type {Phase} */
  const phase = at < count ? "forward" : "backward";
  const t = phase === "forward" ? at : 2 * count - 1 - at;
  const token = ++renderToken;
  signalReady(false);
  document.body.dataset.step = String(t);
  document.body.dataset.phase = phase;
  state.update({ phase, step: t });
  controls.show(at, 2 * count);
  const scrubber = byId("scrubber", HTMLInputElement);
  scrubber.setAttribute("aria-valuetext", `${phase} pass, step ${t} of ${count - 1}`);
  for (const [name, button] of Object.entries(phaseButtons)) button.setAttribute("aria-pressed", String(name === phase));
  const direction = phase === "forward" ? "Forward" : "Backward";
  // The pass's name gives way on a phone (the pass switch beside it says it too).
  byId("step-label").replaceChildren(el("span", { class: "word" }, `${direction}: `),
    `t = ${t} of ${count - 1}, input “${showChar(trace.tokens[t])}”`);
  diagram.highlight(t, phase);
  byId("forward-step").hidden = phase !== "forward";
  byId("backward-step").hidden = phase !== "backward";
  byId("sgd").hidden = phase !== "backward";
  if (phase === "forward") {
    byId("equations").replaceChildren(...stepEquations(trace, t, state.values.notation));
    describeStep(trace, t);
  } else {
    backward.show(t, state.values.notation);
  }
  try {
    await panels.showStep(t);
  } catch (error) {
    errors.show(error, "could not draw the charts: ");
  }
  if (token === renderToken) signalReady(true);
}

/** Fetch the trace (with its backward pass) and weights of the state's model and text, then draw. */
async function load() {
  const token = ++loadToken;
  signalReady(false);
  const request = { model: state.values.model, text: state.values.text, projections: true, backward: true };
  try {
    const [next, model] = await Promise.all([
      /** @type {Promise<import("../trace.js").BackwardTrace>} */ (fetchTrace(request)), fetchModel(request.model),
    ]);
    if (token !== loadToken) return;
    errors.clear();
    trace = next;
    linkTrace(byId("trace-json", HTMLAnchorElement), request);
    panels.setTrace(next, model.state_dict);
    backward.setTrace(next, model.state_dict);
    sgd.setTrace(next, model, request.text);
    labelSgdButton();
    sgdErrors.clear();
    const predictions = next.probs.map((row) => next.vocab[argmax(row)]);
    diagram.build({
      tokens: next.tokens, predictions, targets: next.targets, losses: next.loss, cellName: next.cell.toUpperCase(),
    });
    await showPosition(position(phaseOf(state.values.phase), state.values.step));
    if (token === loadToken) await applySgd(state.values.sgd);
  } catch (error) {
    if (token !== loadToken) return;
    controls.pause();
    errors.show(error);
    signalReady(true);
  }
}

/**
 * Have `count` SGD steps applied with the chosen learning rate (each from the weights the
 * last one left); show the last, or say what went wrong. The URL's `sgd` follows what is shown.
 * @param {number} count
 */
async function applySgd(count) {
  if (count === 0 && sgd.count === 0) return;
  signalReady(false);
  const button = byId("sgd-apply", HTMLButtonElement);
  button.disabled = true;
  try {
    await sgd.applyUntil(count, Number.parseFloat(lrInput.value), state.values.notation);
    sgdErrors.clear();
  } catch (error) {
    sgdErrors.show(error, "SGD step: ");
  } finally {
    state.update({ sgd: sgd.count });
    labelSgdButton();
    button.disabled = false;
    signalReady(true);
  }
}

/** The SGD button says whether it applies the first step or one more. */
function labelSgdButton() {
  byId("sgd-apply").textContent = sgd.count === 0 ? "Apply one SGD step" : "Apply another SGD step";
}

/**
 * Show a story's scene: the page's defaults with the scene's fields over them (the notation
 * stays the one chosen, unless the scene names one). Resolves once the state is shown.
 * @param {import("../story.js").SceneState} scene
 */
async function showScene(scene) {
  controls.pause();
  /** @type {Record<string, string | number>} */
  const values = { ...DEFAULTS, notation: state.values.notation, ...scene };
  const reload = !trace || values.model !== state.values.model || values.text !== state.values.text;
  const renotate = values.notation !== state.values.notation;
  state.update(values);
  modelSelect.value = state.values.model;
  textInput.value = state.values.text;
  lrInput.value = String(state.values.lr);
  describeModel();
  if (renotate) {
    notationSelect.value = state.values.notation;
    applyNotation();
  }
  if (reload) {
    await load();
    return;
  }
  await showPosition(position(phaseOf(state.values.phase), state.values.step));
  await applySgd(state.values.sgd);
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
  sgd.render(state.values.notation);
  showPosition(position(phaseOf(state.values.phase), state.values.step));
});
modelSelect.value = state.values.model;
textInput.value = state.values.text;
lrInput.value = String(state.values.lr);
describeModel();
modelSelect.addEventListener("change", () => {
  controls.pause();
  state.update({ model: modelSelect.value, sgd: 0 });
  describeModel();
  load();
});
textInput.addEventListener("input", () => {
  signalReady(false);
  controls.pause();
  window.clearTimeout(typingTimer);
  typingTimer = window.setTimeout(() => {
    state.update({ text: textInput.value, sgd: 0 });
    load();
  }, TIMINGS.typingDebounce);
});
lrInput.addEventListener("input", () => {
  state.update({ lr: lrInput.value, sgd: 0 });
  sgd.clear();
  labelSgdButton();
});
phaseButtons.forward.addEventListener("click", () => {
  controls.pause();
  showPosition(position("forward", 0));
});
phaseButtons.backward.addEventListener("click", () => {
  controls.pause();
  showPosition(position("backward", stepCount() - 1));
});
byId("sgd-apply", HTMLButtonElement).addEventListener("click", () => applySgd(sgd.count + 1));
byId("setup", HTMLFormElement).addEventListener("submit", (event) => event.preventDefault());
const stories = new StoryPlayer(byId("story"), STORIES, showScene, state);
load().then(() => stories.resume());
