/**
 * Connectivity (Madsen, "Visualizing memorization in RNNs", Distill 2019): at the cursor step
 * t, how strongly each earlier input character x_s moves the logit the model is judged on,
 * ‖∂ logit_t / ∂x_s‖ for s = 0..t. As in the article, the values of one step are divided by
 * their maximum and drawn on the middle part of Viridis. The API sends log10 norms (null =
 * exactly zero), so the ratio is 10^(v_s − max v), exact even where the norms underflow.
 */
import { CONNECTIVITY_SCALE } from "../config.js";
import { colourAt } from "../charts/scale.js";
import { el, formatNumber, showChar } from "../dom.js";
import { formatLog10 } from "./gradcurve.js";
import { TextView } from "./textview.js";

/**
 * Step t's connectivity divided by its maximum: values in [0, 1], exactly-zero norms 0.
 * @param {(number | null)[]} log10 row t of analysis.connectivity.log10 (t + 1 entries)
 * @returns {number[]}
 */
export function normalise(log10) {
  const finite = log10.filter((v) => v !== null);
  if (finite.length === 0) return log10.map(() => 0);
  const top = Math.max(...finite);
  return log10.map((v) => (v === null ? 0 : 10 ** (v - top)));
}

/** Colours of 256 evenly spaced ratios: a cursor move looks colours up instead of mixing them. */
const LEVELS = 255;
const { scale, low, high } = CONNECTIVITY_SCALE;
const TABLE = Array.from({ length: LEVELS + 1 }, (_, k) => colourAt(scale, low + (k / LEVELS) * (high - low), 0, 1));

/**
 * The background colour of a normalised connectivity value (to 1/255).
 * @param {number} ratio in [0, 1]
 * @returns {string}
 */
export function connectivityColour(ratio) {
  return TABLE[Math.round(Math.min(Math.max(ratio, 0), 1) * LEVELS)];
}

/**
 * The connectivity panel: the text coloured at the cursor step, a sentence naming the logit,
 * and a data table (filled only while open).
 */
export class ConnectivityPanel {
  /**
   * @param {{view: HTMLElement, sentence: HTMLElement, details: HTMLDetailsElement,
   *   table: HTMLTableElement}} elements
   * @param {(step: number) => void} onSelect called when a character is clicked
   */
  constructor(elements, onSelect) {
    this.elements = elements;
    this.text = new TextView(elements.view, onSelect);
    /** @type {import("./data.js").ExploreTrace | null} */
    this.trace = null;
    this.cursor = 0;
    elements.details.addEventListener("toggle", () => this.fillTable());
  }

  /** @param {import("./data.js").ExploreTrace} trace */
  build(trace) {
    this.trace = trace;
    this.text.build(trace.tokens);
  }

  /** @param {number} t the cursor step */
  show(t) {
    const trace = this.trace;
    if (!trace) return;
    this.cursor = t;
    const ratios = normalise(trace.analysis.connectivity.log10[t]);
    this.text.setCursor(t);
    this.text.paint((s) => (s <= t
      ? { background: connectivityColour(ratios[s]), value: String(ratios[s]) }
      : { background: "", value: "" }));
    const logit = trace.analysis.connectivity.logit[t];
    const whose = trace.output === "class" ? "the class the model names at the end"
      : trace.targets[t] === null ? "the model's top prediction" : "the true next character";
    this.elements.sentence.textContent =
      `Step ${t}: how much each character up to “${showChar(trace.tokens[t])}” moves the logit of ` +
      `“${showChar(logit)}” (${whose}). Brightest = the strongest (divided by the step's maximum); ` +
      "characters after the cursor are not read yet.";
    this.fillTable();
  }

  /** The data table of the cursor step, while the reader has it open. */
  fillTable() {
    if (!this.elements.details.open || !this.trace) return;
    const trace = this.trace;
    const row = trace.analysis.connectivity.log10[this.cursor] ?? [];
    const ratios = normalise(row);
    const head = el("thead");
    const headRow = el("tr");
    for (const name of ["s", "x_s", "‖∂ logit / ∂x_s‖", "÷ maximum"]) headRow.append(el("th", { scope: "col" }, name));
    head.append(headRow);
    const body = el("tbody");
    row.forEach((v, s) => {
      const tr = el("tr");
      tr.append(el("th", { scope: "row" }, String(s)), el("td", {}, showChar(trace.tokens[s])),
        el("td", {}, formatLog10(v)), el("td", { "data-value": String(ratios[s]) }, formatNumber(ratios[s], 3)));
      body.append(tr);
    });
    this.elements.table.replaceChildren(head, body);
  }
}
