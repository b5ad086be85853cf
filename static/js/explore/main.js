/**
 * The /explore page: wires the URL state, the model and text, the time cursor, generation,
 * upload, export and every panel (`panels.js`).
 * Test hooks: `body[data-ready]` is "true" once the last change is drawn, `body[data-cursor]`
 * holds the step shown, `body[data-error]` is "true" while an error is shown; every cursor
 * redraw dispatches `explore:drawn` on document with `{cursor}`.
 */
import { TIMINGS, EXPLORE } from "../config.js";
import { el, showChar } from "../dom.js";
import { isLocalModel, listLocalModels, loadLocalModel } from "../handoff.js";
import { chooseNotation, fillNotationSelect, rememberNotation } from "../notation.js";
import { UrlState } from "../state.js";
import { CursorControls } from "./cursor.js";
import { fetchTrace, fetchZoo, generate, traceAddress } from "./data.js";
import { download, traceCsv } from "./exporter.js";
import { ExplorePanels } from "./panels.js";
import { EXPLORE_SCHEMA, PANELS } from "./schema.js";
import { setupUpload } from "./upload.js";

/** @param {string} id @returns {any} */
const byId = (id) => document.getElementById(id);

const body = document.body;
const state = new UrlState(EXPLORE_SCHEMA);
const modelSelect = /** @type {HTMLSelectElement} */ (byId("model"));
const textInput = /** @type {HTMLTextAreaElement} */ (byId("text"));
const layerSelect = /** @type {HTMLSelectElement} */ (byId("layer"));
const unitInput = /** @type {HTMLInputElement} */ (byId("unit"));
const seriesSelect = /** @type {HTMLSelectElement} */ (byId("series"));

/** @type {Map<string, import("./data.js").ZooModel>} */
let zoo = new Map();
/** @type {import("./data.js").ExploreTrace | null} */
let trace = null;
/** @type {import("./data.js").Generation | null} */
let generation = null;
let loadToken = 0;
/** A trace is being fetched (or typing will fetch one), or the big charts are being drawn. */
let loading = false;
let drawing = false;
/** @type {number | undefined} */
let typingTimer;
/** @type {number | undefined} */
let urlTimer;
/** @type {string | null} */
let traceBlobUrl = null;

const panels = new ExplorePanels({ onCursor: (t) => moveCursor(t), onUnit: (series, unit) => selectUnit(series, unit) });
const cursor = new CursorControls(
  { first: byId("first"), back: byId("back"), play: byId("play"), forward: byId("forward"), last: byId("last"), scrubber: byId("scrubber") },
  (t) => moveCursor(t),
);

/** Tell tests whether the page shows the latest state. */
function settle() {
  body.dataset.ready = String(!loading && !drawing);
}

/** Show an error as text and dim the stale views. @param {string | null} message */
function setError(message) {
  const box = byId("error");
  box.hidden = message === null;
  box.textContent = message ?? "";
  body.dataset.error = String(message !== null);
  byId("views").classList.toggle("stale", message !== null);
}

/** The panels listed in the state. */
function shownPanels() {
  return new Set(String(state.values.panels).split(",").filter((p) => PANELS.includes(p)));
}

/** The sample text of the state's model: the zoo's excerpt, or a stored model's own. */
function sampleText() {
  const model = String(state.values.model);
  if (isLocalModel(model)) {
    try {
      const spec = /** @type {any} */ (loadLocalModel(model));
      return spec.sample ?? spec.vocab.join("");
    } catch {
      return "";
    }
  }
  return zoo.get(model)?.sample ?? "";
}

/** The text traced: the state's, or the model's sample when the state names none. */
const currentText = () => String(state.values.text) || sampleText();

/** The view the panels draw. @returns {import("./panels.js").View} */
function view() {
  return {
    trace: /** @type {import("./data.js").ExploreTrace} */ (trace),
    layer: Number(state.values.layer),
    unit: Number(state.values.unit),
    series: /** @type {"h" | "c"} */ (state.values.series),
    notation: String(state.values.notation),
    generation,
  };
}

/**
 * Write the cursor to the URL a moment after the last move (browsers throttle history
 * writes, and a URL per frame of playback is of no use). The write takes the cursor as it is
 * then: a generation may have set a new one meanwhile, and an older move must not undo it.
 */
function scheduleUrl() {
  window.clearTimeout(urlTimer);
  urlTimer = window.setTimeout(() => state.update({ cursor: state.values.cursor }), EXPLORE.urlDelay);
}

/**
 * Move the time cursor: every panel follows.
 * @param {number} step
 */
function moveCursor(step) {
  if (!trace) return;
  const count = trace.tokens.length;
  const t = Math.min(Math.max(Math.trunc(step), 0), count - 1);
  body.dataset.cursor = String(t);
  state.values.cursor = t;
  scheduleUrl();
  cursor.show(t, count);
  byId("cursor-label").textContent = `t = ${t} of ${count - 1}: “${showChar(trace.tokens[t])}”`;
  panels.showCursor(t);
  document.dispatchEvent(new CustomEvent("explore:drawn", { detail: { cursor: t } }));
  settle();
}

/**
 * Select the unit that colours the text.
 * @param {"h" | "c"} series
 * @param {number} unit
 */
async function selectUnit(series, unit) {
  if (!trace) return;
  const hidden = trace.hidden_size;
  const chosen = series === "c" && trace.cell === "lstm" ? "c" : "h";
  state.update({ series: chosen, unit: Math.min(Math.max(Math.trunc(unit), 0), hidden - 1) });
  showUnitControls();
  drawing = true;
  settle();
  await panels.showUnit(view());
  drawing = false;
  settle();
}

/** Copy the unit and series into their controls. */
function showUnitControls() {
  unitInput.value = String(state.values.unit);
  seriesSelect.value = String(state.values.series);
  body.dataset.unit = `${state.values.series}${state.values.unit}`;
}

/** Draw everything for the current trace, then the cursor. */
async function drawAll() {
  if (!trace) return;
  drawing = true;
  settle();
  try {
    await panels.drawView(view());
  } catch (error) {
    setError(`could not draw the charts: ${/** @type {Error} */ (error).message}`);
  }
  drawing = false;
  moveCursor(Number(state.values.cursor));
}

/** Fill the layer and unit controls for a trace; clamp the state to it. */
function fitControls() {
  const t = /** @type {import("./data.js").ExploreTrace} */ (trace);
  layerSelect.replaceChildren(...Array.from({ length: t.num_layers }, (_, l) =>
    el("option", { value: String(l) }, l === 0 ? "0 (bottom)" : l === t.num_layers - 1 ? `${l} (top)` : String(l))));
  state.update({
    layer: Math.min(Math.max(Number(state.values.layer), 0), t.num_layers - 1),
    unit: Math.min(Math.max(Number(state.values.unit), 0), t.hidden_size - 1),
    series: t.cell === "lstm" && state.values.series === "c" ? "c" : "h",
  });
  layerSelect.value = String(state.values.layer);
  unitInput.max = String(t.hidden_size - 1);
  /** @type {HTMLOptionElement} */ (seriesSelect.querySelector("option[value='c']")).disabled = t.cell !== "lstm";
  showUnitControls();
}

/** The JSON download: the API's GET address for a built-in model, else the answer itself. */
function setTraceLink() {
  const link = byId("trace-json");
  if (traceBlobUrl !== null) URL.revokeObjectURL(traceBlobUrl);
  traceBlobUrl = null;
  const model = String(state.values.model);
  if (!isLocalModel(model)) {
    link.href = traceAddress({ model, text: currentText(), loss: String(state.values.loss) });
  } else {
    traceBlobUrl = URL.createObjectURL(new Blob([JSON.stringify(trace)], { type: "application/json" }));
    link.href = traceBlobUrl;
  }
}

/** Fetch the trace of the state's model and text, then draw everything. */
async function load() {
  const token = ++loadToken;
  loading = true;
  settle();
  cursor.pause();
  const request = { model: String(state.values.model), text: currentText(), loss: String(state.values.loss) };
  try {
    const next = await fetchTrace(request);
    if (token !== loadToken) return;
    loading = false;
    setError(null);
    trace = next;
    fitControls();
    setTraceLink();
    panels.invalidate();
    await drawAll();
  } catch (error) {
    if (token !== loadToken) return;
    loading = false;
    setError(/** @type {Error} */ (error).message);
    settle();
  }
}

/** Describe the chosen model (as text): title, description, training, final loss. */
function describeModel() {
  const model = String(state.values.model);
  const box = byId("model-description");
  const info = zoo.get(model);
  if (info) {
    const training = info.training ?? {};
    const details = [`final training loss ${Number(info.final_loss).toFixed(4)} nats/character`];
    if (info.corpus) details.push(`corpus: ${info.corpus}`);
    if (training.steps) details.push(`${training.steps} training steps`);
    box.textContent = `${info.description} (${details.join(", ")}.)`;
  } else {
    box.textContent = isLocalModel(model) ? `${model.slice(6)}: a model stored in this browser.` : "";
  }
}

/** The model list: the zoo, then the models stored in this browser. */
function fillModels() {
  const local = listLocalModels();
  const wanted = String(state.values.model);
  if (isLocalModel(wanted) && !local.includes(wanted)) local.push(wanted);
  const zooGroup = el("optgroup", { label: "Built-in models" });
  for (const model of zoo.values()) {
    zooGroup.append(el("option", { value: model.id }, `${model.id} (${model.cell.toUpperCase()}, ${model.num_layers}×${model.hidden_size})`));
  }
  const groups = [zooGroup];
  if (local.length) {
    const localGroup = el("optgroup", { label: "In this browser" });
    for (const model of local) localGroup.append(el("option", { value: model }, model));
    groups.push(localGroup);
  }
  modelSelect.replaceChildren(...groups);
  modelSelect.value = wanted;
}

/** The default model: the first one trained on a corpus, else the first of the zoo. */
function defaultModel() {
  const models = [...zoo.values()];
  return (models.find((m) => m.corpus && m.corpus !== "hello") ?? models[0])?.id ?? "";
}

/** Show the text and the generation settings of the state. */
function showTextControls() {
  textInput.value = currentText();
  const sample = sampleText();
  byId("prompt").value = String(state.values.prompt) || sample.slice(0, 24);
  byId("length").value = String(state.values.length);
  byId("temperature").value = String(state.values.temperature);
  byId("seed").value = String(state.values.seed);
}

/** Switch model: keep the user's own text, or take the new model's sample. */
function changeModel() {
  const keepText = String(state.values.text) !== "" && textInput.value !== sampleText();
  state.update({ model: modelSelect.value, text: keepText ? String(state.values.text) : "", prompt: "" });
  generation = null;
  describeModel();
  showTextControls();
  load();
}

/** Run the generation form: the generated text becomes the explored sequence. */
async function runGeneration() {
  const prompt = String(byId("prompt").value);
  const settings = {
    prompt,
    length: Number(byId("length").value),
    temperature: Number(byId("temperature").value),
    seed: Number(byId("seed").value),
  };
  state.update({ ...settings, prompt: prompt === sampleText().slice(0, 24) ? "" : prompt });
  loading = true;
  settle();
  byId("generate-status").textContent = "Generating…";
  try {
    const result = await generate({ model: String(state.values.model), ...settings });
    generation = result;
    byId("generate-status").textContent =
      `Generated ${result.generated.length} characters; the cursor is on the last prompt character, ` +
      "whose prediction is the first sampled one.";
    state.update({ text: result.text, cursor: Math.max(result.prompt.length - 1, 0) });
    textInput.value = result.text;
    await load();
  } catch (error) {
    byId("generate-status").textContent = "";
    setError(`Generation: ${/** @type {Error} */ (error).message}`);
    loading = false;
    settle();
  }
}

/** Wire every control. */
function wireControls() {
  modelSelect.addEventListener("change", changeModel);
  textInput.addEventListener("input", () => {
    loading = true;
    settle();
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(() => {
      generation = null;
      state.update({ text: textInput.value === sampleText() ? "" : textInput.value });
      load();
    }, TIMINGS.typingDebounce);
  });
  byId("use-sample").addEventListener("click", () => {
    state.update({ text: "" });
    textInput.value = sampleText();
    load();
  });
  layerSelect.addEventListener("change", () => {
    state.update({ layer: Number(layerSelect.value) });
    panels.invalidate();
    drawAll();
  });
  byId("loss").addEventListener("change", () => {
    state.update({ loss: byId("loss").value });
    load();
  });
  unitInput.addEventListener("change", () => selectUnit(/** @type {"h" | "c"} */ (seriesSelect.value), Number(unitInput.value)));
  seriesSelect.addEventListener("change", () => selectUnit(/** @type {"h" | "c"} */ (seriesSelect.value), Number(unitInput.value)));
  const notationSelect = /** @type {HTMLSelectElement} */ (byId("notation"));
  fillNotationSelect(notationSelect, String(state.values.notation));
  notationSelect.addEventListener("change", () => {
    state.update({ notation: notationSelect.value });
    rememberNotation(notationSelect.value);
    panels.fresh.delete("equations");
    drawAll();
  });
  for (const box of document.querySelectorAll("#panel-toggles input[type=checkbox]")) {
    const input = /** @type {HTMLInputElement} */ (box);
    input.checked = shownPanels().has(input.value);
    input.addEventListener("change", () => {
      const chosen = [...document.querySelectorAll("#panel-toggles input:checked")].map((b) => /** @type {HTMLInputElement} */ (b).value);
      state.update({ panels: chosen.join(",") });
      panels.setShown(shownPanels());
      drawAll();
    });
  }
  for (const form of ["setup", "text-form"]) byId(form).addEventListener("submit", (/** @type {Event} */ e) => e.preventDefault());
  byId("generate").addEventListener("submit", (/** @type {Event} */ event) => {
    event.preventDefault();
    runGeneration();
  });
  byId("trace-csv").addEventListener("click", () => {
    if (trace) download(traceCsv(trace), "trace.csv", "text/csv");
  });
  setupUpload(byId("upload"), byId("upload-status"), (model) => {
    state.update({ model, text: "", prompt: "" });
    generation = null;
    fillModels();
    describeModel();
    showTextControls();
    load();
  }, setError);
}

/** Start: the zoo, the state's defaults, the controls, the first trace. */
async function start() {
  loading = true;
  settle();
  try {
    zoo = new Map((await fetchZoo()).map((m) => [m.id, m]));
  } catch (error) {
    setError(`could not list the models: ${/** @type {Error} */ (error).message}`);
    loading = false;
    settle();
    return;
  }
  const notation = chooseNotation(String(state.values.notation));
  rememberNotation(notation);
  state.update({ model: String(state.values.model) || defaultModel(), notation });
  fillModels();
  describeModel();
  showTextControls();
  wireControls();
  panels.setShown(shownPanels());
  byId("loss").value = String(state.values.loss);
  await load();
}

start();
