/**
 * The /explore page: wires the URL state, the model and text, the time cursor, generation,
 * upload, export and every panel (`panels.js`).
 * Test hooks (besides status.js's): `body[data-cursor]` holds the step shown, `body[data-unit]`
 * the selected unit; every cursor redraw dispatches `explore:drawn` on document with `{cursor}`
 * (benchmarks/cursor_speed.py times it). The presenter view (present.js) shows the text, the
 * time cursor and one panel (`focus=`), marked `data-core`; a story's scene (stories.js) sets a
 * whole state, `generate=1` generating its text.
 */
import { hasCellState } from "../cells.js";
import { EXPLORE, TIMINGS } from "../config.js";
import { byId, el, saveFile, showChar } from "../dom.js";
import { addLocalModels, isLocalModel, loadLocalModel } from "../handoff.js";
import { chooseNotation, fillNotationSelect, rememberNotation } from "../notation.js";
import { presenting } from "../present.js";
import { UrlState } from "../state.js";
import { ErrorBox, signalReady } from "../status.js";
import { StepControls } from "../stepper.js";
import { StoryPlayer } from "../story.js";
import { fetchFullTrace, fetchTrace, linkTrace } from "../trace.js";
import { fetchSeries, fetchZoo, generate } from "./data.js";
import { traceCsv } from "./exporter.js";
import { ExplorePanels } from "./panels.js";
import { FOCUS_PANELS, PANELS, PROPS } from "./props.js";
import { STORIES } from "./stories.js";
import { setupUpload } from "./upload.js";

/** @typedef {import("./data.js").ExploreTrace} ExploreTrace */

const body = document.body;
const state = new UrlState(PROPS);
const modelSelect = byId("model", HTMLSelectElement);
const textInput = byId("text", HTMLTextAreaElement);
const layerSelect = byId("layer", HTMLSelectElement);
const unitInput = byId("unit", HTMLInputElement);
const seriesSelect = byId("series", HTMLSelectElement);
const lossSelect = byId("loss", HTMLSelectElement);
const labelSelect = byId("label", HTMLSelectElement);
const generateForm = {
  prompt: byId("prompt", HTMLInputElement), length: byId("length", HTMLInputElement),
  temperature: byId("temperature", HTMLInputElement), seed: byId("seed", HTMLInputElement),
  status: byId("generate-status"),
};
const seriesForm = {
  wave: byId("wave", HTMLSelectElement), steps: byId("wave-steps", HTMLInputElement),
  noise: byId("wave-noise", HTMLInputElement), seed: byId("wave-seed", HTMLInputElement),
  forecast: byId("forecast-from", HTMLInputElement),
};
const focusSelect = byId("focus", HTMLSelectElement);
const errors = new ErrorBox(byId("error"), byId("views"));

/** @type {Map<string, import("./data.js").ZooModel>} */
let zoo = new Map();
/** @type {ExploreTrace | null} */
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

const panels = new ExplorePanels({ onCursor: (t) => moveCursor(t), onUnit: (series, unit) => selectUnit(series, unit) });
const cursor = new StepControls({
  first: byId("first", HTMLButtonElement), back: byId("back", HTMLButtonElement), play: byId("play", HTMLButtonElement),
  forward: byId("forward", HTMLButtonElement), last: byId("last", HTMLButtonElement),
  scrubber: byId("scrubber", HTMLInputElement),
}, (t) => moveCursor(t), EXPLORE.playInterval);

/** Say whether the page shows the latest state. */
function settle() {
  signalReady(!loading && !drawing);
}

/** The panel the presenter view shows beside the text. */
const focusPanel = () => (FOCUS_PANELS.includes(state.values.focus) ? state.values.focus : "predictions");

/** The panels drawn from the analysis, which is per character: word and series models have none. */
const ANALYSIS_PANELS = ["connectivity", "units", "saturation"];

/** What the state's model reads: "one_hot" characters, "embedding" words or "real" numbers. */
function inputKind() {
  const model = state.values.model;
  if (!isLocalModel(model)) return zoo.get(model)?.input ?? "one_hot";
  try {
    return loadLocalModel(model).input ?? "one_hot";
  } catch {
    return "one_hot";
  }
}

/** Whether the state's model reads characters (the analysis is per character). */
const readsCharacters = () => inputKind() === "one_hot";

/** Whether the state's model is a series model: numbers in, the next number out. */
const readsNumbers = () => inputKind() === "real";

/** The panels shown: the state's list, or in the presenter view the text and the focus panel. */
function shownPanels() {
  const panels = presenting() ? ["text", focusPanel()] : state.values.panels.split(",").filter((p) => PANELS.includes(p));
  return new Set(readsCharacters() ? panels : panels.filter((p) => !ANALYSIS_PANELS.includes(p)));
}

/** Show the state's panels; the focus panel is the core view's and `F`'s main chart. */
function showPanels() {
  const focus = focusPanel();
  focusSelect.value = focus;
  for (const section of byId("views").querySelectorAll("section[data-panel]")) {
    if (!(section instanceof HTMLElement) || section.dataset.panel === "text") continue;
    section.toggleAttribute("data-core", section.dataset.panel === focus);
    section.toggleAttribute("data-main-chart", section.dataset.panel === focus);
  }
  const shown = shownPanels();
  const characters = readsCharacters();
  for (const input of byId("panel-toggles").querySelectorAll("input")) {
    input.checked = shown.has(input.value);
    input.disabled = !characters && ANALYSIS_PANELS.includes(input.value); // per character only
  }
  panels.setShown(shown);
}

/** The sample text of the state's model: the zoo's excerpt, or a stored model's own. */
function sampleText() {
  const model = state.values.model;
  if (isLocalModel(model)) {
    try {
      const spec = loadLocalModel(model);
      return spec.sample ?? spec.vocab.join("");
    } catch {
      return "";
    }
  }
  return zoo.get(model)?.sample ?? "";
}

/** @type {{key: string, text: string} | null} the last series generated for the state */
let generatedSeries = null;

/** The generated series the state names, as its settings and a key ("" when it names none). */
function seriesSettings() {
  const { wave, steps, noise } = state.values;
  // A series model stored in this browser has no sample: it opens on a sine.
  const kind = wave || (readsNumbers() && !state.values.text && !sampleText() ? "sine" : "");
  const settings = { kind, length: steps, noise, seed: state.values.wave_seed };
  return { settings, key: kind && readsNumbers() ? JSON.stringify(settings) : "" };
}

/** Fetch the generated series the state names, unless it is the one fetched last. */
async function prepareSeries() {
  const { settings, key } = seriesSettings();
  if (!key || generatedSeries?.key === key) return;
  generatedSeries = { key, text: (await fetchSeries(settings)).text };
}

/** The text traced: a generated series, the state's text, or the model's sample. */
function currentText() {
  const { key } = seriesSettings();
  if (key && generatedSeries?.key === key) return generatedSeries.text;
  return state.values.text || sampleText();
}

/**
 * Where a series model's free-running forecast starts: the state's step, or half the series.
 * @param {string} text
 */
function forecastStart(text) {
  const steps = text.split(/[\s,]+/).filter(Boolean).length;
  const wanted = state.values.forecast || Math.floor(steps / 2);
  return Math.min(Math.max(wanted, 1), Math.max(steps - 1, 1));
}

/** @returns {"h" | "c"} the series the state names */
const series = () => (state.values.series === "c" ? "c" : "h");

/**
 * The view the panels draw.
 * @param {ExploreTrace} trace
 * @returns {import("./panels.js").View}
 */
function view(trace) {
  return {
    trace, layer: state.values.layer, unit: state.values.unit, series: series(), notation: state.values.notation, generation,
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
 * @param {"h" | "c"} chosen
 * @param {number} unit
 */
async function selectUnit(chosen, unit) {
  if (!trace) return;
  const hidden = trace.hidden_size;
  state.update({ series: chosen === "c" && hasCellState(trace.cell) ? "c" : "h", unit: Math.min(Math.max(Math.trunc(unit), 0), hidden - 1) });
  showUnitControls();
  drawing = true;
  settle();
  await panels.showUnit(view(trace));
  drawing = false;
  settle();
}

/** Copy the unit and series into their controls. */
function showUnitControls() {
  unitInput.value = String(state.values.unit);
  seriesSelect.value = state.values.series;
  body.dataset.unit = `${state.values.series}${state.values.unit}`;
}

/** Draw everything for the current trace, then the cursor. */
async function drawAll() {
  if (!trace) return;
  drawing = true;
  settle();
  try {
    await panels.drawView(view(trace));
  } catch (error) {
    errors.show(error, "could not draw the charts: ");
  }
  drawing = false;
  moveCursor(state.values.cursor);
}

/**
 * Fill the layer and unit controls for a trace; clamp the state to it.
 * @param {ExploreTrace} t
 */
function fitControls(t) {
  layerSelect.replaceChildren(...Array.from({ length: t.num_layers }, (_, l) =>
    el("option", { value: String(l) }, l === 0 ? "0 (bottom)" : l === t.num_layers - 1 ? `${l} (top)` : String(l))));
  state.update({
    layer: Math.min(Math.max(state.values.layer, 0), t.num_layers - 1),
    unit: Math.min(Math.max(state.values.unit, 0), t.hidden_size - 1),
    series: hasCellState(t.cell) && state.values.series === "c" ? "c" : "h",
  });
  layerSelect.value = String(state.values.layer);
  unitInput.max = String(t.hidden_size - 1);
  const cellOption = seriesSelect.querySelector("option[value='c']");
  if (cellOption instanceof HTMLOptionElement) cellOption.disabled = !hasCellState(t.cell);
  showUnitControls();
  fitLossControls(t);
}

/**
 * A class model is scored at its last step only, for one class: the loss choice becomes the
 * choice of that class; it writes no text, so there is nothing to generate.
 * @param {ExploreTrace} t
 */
function fitLossControls(t) {
  const classes = t.output === "class" ? t.classes ?? [] : [];
  byId("loss-label").hidden = classes.length > 0;
  byId("label-label").hidden = classes.length === 0;
  byId("generate-box").hidden = classes.length > 0 || t.input !== "one_hot"; // writes characters
  byId("series-box").hidden = t.input !== "real";
  labelSelect.replaceChildren(el("option", { value: "" }, "its own answer"),
    ...classes.map((name) => el("option", { value: name }, name)));
  labelSelect.value = classes.includes(state.values.label) ? state.values.label : "";
}

/**
 * What the page traces: the model over the current text, with the analysis, its numbers
 * rounded for display (a 300-character trace is 3-4x smaller; the downloads are exact).
 */
function traceRequest() {
  const { model, loss, label } = state.values;
  const analysis = readsCharacters(); // the analysis is per character
  const text = currentText();
  const forecast = readsNumbers() ? { forecast: forecastStart(text) } : {};
  return { model, text, loss, analysis, compact: true, ...(label ? { label } : {}), ...forecast };
}

/** Fetch the trace of the state's model and text, then draw everything. */
async function load() {
  const token = ++loadToken;
  loading = true;
  settle();
  cursor.pause();
  try {
    await prepareSeries();
    if (token !== loadToken) return;
    const request = traceRequest();
    textInput.value = request.text;
    /** @type {ExploreTrace} */
    const next = await fetchTrace(request);
    if (token !== loadToken) return;
    loading = false;
    errors.clear();
    trace = next;
    fitControls(next);
    linkTrace(byId("trace-json", HTMLAnchorElement), request);
    panels.invalidate();
    await drawAll();
  } catch (error) {
    if (token !== loadToken) return;
    loading = false;
    errors.show(error);
    settle();
  }
}

/** Describe the chosen model (as text): title, description, training, final loss. */
function describeModel() {
  const model = state.values.model;
  const box = byId("model-description");
  const info = zoo.get(model);
  if (info) {
    const accuracy = info.training.held_out_accuracy;
    const persistence = info.training.persistence_loss;
    const details = info.output === "class" && accuracy !== undefined
      ? [`${(100 * accuracy).toFixed(1)} % right on held-out texts`, `final training loss ${Number(info.final_loss).toFixed(4)} nats/text`]
      : info.output === "value" && persistence !== undefined
        ? [`mean squared error ${Number(info.final_loss).toFixed(4)} on held-out series, against ${persistence.toFixed(4)} for "tomorrow = today"`]
        : [`final training loss ${Number(info.final_loss).toFixed(4)} nats/character`];
    if (info.corpus) details.push(`corpus: ${info.corpus}`);
    if (info.training.steps) details.push(`${info.training.steps} training steps`);
    box.textContent = `${info.description} (${details.join(", ")}.)`;
  } else {
    box.textContent = isLocalModel(model) ? `${model.slice(6)}: a model stored in this browser.` : "";
  }
}

/** The model list: the zoo (rendered by the server), then the models stored in this browser. */
function fillModels() {
  addLocalModels(modelSelect, state.values.model);
  modelSelect.value = state.values.model;
}

/** The default model: the first one trained on a corpus, else the first of the zoo. */
function defaultModel() {
  const models = [...zoo.values()];
  return (models.find((m) => m.corpus && m.corpus !== "hello") ?? models[0])?.id ?? "";
}

/** Show the text and the generation settings of the state. */
function showTextControls() {
  textInput.value = currentText();
  generateForm.prompt.value = state.values.prompt || sampleText().slice(0, 24);
  generateForm.length.value = String(state.values.length);
  generateForm.temperature.value = String(state.values.temperature);
  generateForm.seed.value = String(state.values.seed);
  seriesForm.wave.value = state.values.wave || "sine";
  seriesForm.steps.value = String(state.values.steps);
  seriesForm.noise.value = String(state.values.noise);
  seriesForm.seed.value = String(state.values.wave_seed);
  seriesForm.forecast.value = state.values.forecast ? String(state.values.forecast) : "";
  seriesForm.forecast.placeholder = "half way";
}

/** Switch model: keep the user's own text, or take the new model's sample. */
function changeModel() {
  const keepText = state.values.text !== "" && textInput.value !== sampleText();
  state.update({ model: modelSelect.value, text: keepText ? state.values.text : "", prompt: "", generate: 0, label: "", wave: "", forecast: 0 });
  generation = null;
  describeModel();
  showTextControls();
  load();
}

/** Run the generation form: the generated text becomes the explored sequence. */
function runGeneration() {
  const prompt = generateForm.prompt.value;
  state.update({
    prompt: prompt === sampleText().slice(0, 24) ? "" : prompt,
    length: Number(generateForm.length.value),
    temperature: Number(generateForm.temperature.value),
    seed: Number(generateForm.seed.value),
    generate: 1,
  });
  return generateText(true);
}

/**
 * Generate the state's text (its prompt, length, temperature and seed), then trace it.
 * @param {boolean} toPrompt put the cursor on the last prompt character (else keep the state's)
 */
async function generateText(toPrompt) {
  const { model, length, temperature, seed } = state.values;
  const settings = { prompt: state.values.prompt || sampleText().slice(0, 24), length, temperature, seed };
  const token = ++loadToken; // a later trace or generation makes this one stale
  loading = true;
  settle();
  generateForm.status.textContent = "Generating…";
  try {
    const result = await generate({ model, ...settings });
    if (token !== loadToken) return;
    generation = result;
    generateForm.status.textContent =
      `Generated ${result.generated.length} characters` +
      (toPrompt ? "; the cursor is on the last prompt character, whose prediction is the first sampled one." : ".");
    state.update({ text: result.text, cursor: toPrompt ? Math.max(result.prompt.length - 1, 0) : state.values.cursor });
    textInput.value = result.text;
    await load();
  } catch (error) {
    if (token !== loadToken) return;
    generateForm.status.textContent = "";
    errors.show(error, "Generation: ");
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
      state.update({ text: textInput.value === sampleText() ? "" : textInput.value, generate: 0, wave: "" });
      load();
    }, TIMINGS.typingDebounce);
  });
  byId("use-sample", HTMLButtonElement).addEventListener("click", () => {
    state.update({ text: "", generate: 0, wave: "" });
    textInput.value = sampleText();
    load();
  });
  layerSelect.addEventListener("change", () => {
    state.update({ layer: Number(layerSelect.value) });
    panels.invalidate();
    drawAll();
  });
  lossSelect.addEventListener("change", () => {
    state.update({ loss: lossSelect.value });
    load();
  });
  labelSelect.addEventListener("change", () => {
    state.update({ label: labelSelect.value });
    load();
  });
  const pickUnit = () => selectUnit(seriesSelect.value === "c" ? "c" : "h", Number(unitInput.value));
  unitInput.addEventListener("change", pickUnit);
  seriesSelect.addEventListener("change", pickUnit);
  const notationSelect = byId("notation", HTMLSelectElement);
  fillNotationSelect(notationSelect, state.values.notation);
  notationSelect.addEventListener("change", () => {
    state.update({ notation: notationSelect.value });
    rememberNotation(notationSelect.value);
    panels.fresh.delete("equations");
    drawAll();
  });
  const toggles = [...byId("panel-toggles", HTMLFieldSetElement).querySelectorAll("input")];
  for (const input of toggles) {
    input.addEventListener("change", () => {
      state.update({ panels: toggles.filter((box) => box.checked).map((box) => box.value).join(",") });
      showPanels();
      drawAll();
    });
  }
  focusSelect.addEventListener("change", () => {
    state.update({ focus: focusSelect.value });
    showPanels();
    drawAll();
  });
  document.addEventListener("unrolled:present", () => {
    showPanels();
    drawAll();
  });
  for (const form of ["setup", "text-form"]) byId(form, HTMLFormElement).addEventListener("submit", (e) => e.preventDefault());
  byId("series-form", HTMLFormElement).addEventListener("submit", (event) => {
    event.preventDefault();
    state.update({
      wave: seriesForm.wave.value, steps: Number(seriesForm.steps.value), noise: Number(seriesForm.noise.value),
      wave_seed: Number(seriesForm.seed.value), forecast: Number(seriesForm.forecast.value) || 0, text: "",
    });
    load();
  });
  byId("generate", HTMLFormElement).addEventListener("submit", (event) => {
    event.preventDefault();
    runGeneration();
  });
  // The CSV holds every number at full precision: the page's own trace is the compact one.
  byId("trace-csv", HTMLButtonElement).addEventListener("click", async () => {
    if (!trace) return;
    try {
      /** @type {ExploreTrace} */
      const full = await fetchFullTrace(traceRequest());
      saveFile(traceCsv(full), "text/csv", "trace.csv");
    } catch (error) {
      errors.show(error);
    }
  });
  setupUpload(byId("upload", HTMLFormElement), byId("upload-status"), errors, (model) => {
    state.update({ model, text: "", prompt: "", generate: 0, label: "" });
    generation = null;
    fillModels();
    describeModel();
    showTextControls();
    load();
  });
}

/**
 * Show a story's scene: every field at its default, the scene's over them (a complete state).
 * @param {import("../story.js").SceneState} scene
 */
function applyScene(scene) {
  window.clearTimeout(typingTimer);
  const defaults = Object.fromEntries(PROPS.map((prop) => [prop.name, prop.default]));
  state.update({ ...defaults, notation: state.values.notation, ...scene });
  const model = state.values.model;
  if (!zoo.has(model) && !isLocalModel(model)) state.update({ model: defaultModel() });
  generation = null;
  fillModels();
  describeModel();
  showTextControls();
  lossSelect.value = state.values.loss;
  showPanels();
  return state.values.generate === 1 ? generateText(false) : load();
}

/** Start: the zoo, the state's defaults, the controls, the first trace. */
async function start() {
  loading = true;
  settle();
  try {
    zoo = new Map((await fetchZoo()).map((m) => [m.id, m]));
  } catch (error) {
    errors.show(error, "could not list the models: ");
    loading = false;
    settle();
    return;
  }
  const notation = chooseNotation(state.values.notation);
  rememberNotation(notation);
  state.update({ model: state.values.model || defaultModel(), notation });
  fillModels();
  describeModel();
  showTextControls();
  wireControls();
  showPanels();
  lossSelect.value = state.values.loss;
  const story = new StoryPlayer(byId("story"), STORIES, applyScene, state);
  const named = new URLSearchParams(window.location.search).get("story");
  if (STORIES.some((s) => s.id === named)) story.resume();
  else await (state.values.generate === 1 ? generateText(false) : load());
}

start();
