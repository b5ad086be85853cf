/**
 * The charts of the /hello page: one-hot input, hidden state, cell state and gates, logits and
 * softmax, the shared weight matrices, and the hidden state over time. Each chart is drawn once
 * per model and text, then updated per step.
 */
import { transpose } from "../arrays.js";
import { gateRowLabels, hasCellState } from "../cells.js";
import { BarChart, rangeOf } from "../charts/bars.js";
import { Heatmap } from "../charts/heatmap.js";
import { DIVERGING, GATE_COLOURS, SEQUENTIAL, SIZES } from "../config.js";
import { showChar } from "../dom.js";
import { NOTATIONS, symbolText } from "../notation.js";

/** Pixels per heatmap row, plus room for the axes. */
const ROW_HEIGHT = 30;
const HEATMAP_MARGIN = 110;

/**
 * A symmetric colour range for a matrix.
 * @param {number[][]} matrix
 * @returns {[number, number]}
 */
function symmetric(matrix) {
  const top = Math.max(...matrix.flat().map(Math.abs), 1e-9);
  return [-top, top];
}

/**
 * @param {number} rows
 */
const heatmapHeight = (rows) => Math.max(SIZES.smallChartHeight, rows * ROW_HEIGHT + HEATMAP_MARGIN);

/**
 * Change a chart's title (caption, accessible name, data-table summary).
 * @param {import("../charts/chart.js").Chart} chart
 * @param {string} title
 */
function retitle(chart, title) {
  chart.title.textContent = title;
  chart.plot.setAttribute("aria-label", title);
  chart.summary.textContent = `${title}: data table`;
}

/**
 * @typedef {import("../trace.js").Trace} Trace
 * @typedef {{trace: Trace, weights: Record<string, number[][]>, units: string[], stepLabels: string[],
 *   ranges: {hidden: [number, number], cell: [number, number], logits: [number, number]}}} Shown
 */

export class HelloPanels {
  /**
   * @param {{input: HTMLElement, state: HTMLElement, output: HTMLElement, weights: HTMLElement,
   *   time: HTMLElement}} containers
   */
  constructor(containers) {
    const small = SIZES.smallChartHeight;
    this.input = new BarChart(containers.input, { id: "chart-x", title: "Input x_t (one-hot)", height: small });
    this.hidden = new BarChart(containers.state, { id: "chart-h", title: "Hidden state h_t" });
    this.cell = new BarChart(containers.state, { id: "chart-c", title: "Cell state c_t (LSTM)" });
    this.gates = new BarChart(containers.state, { id: "chart-gates", title: "Gates at this step" });
    this.logits = new BarChart(containers.output, { id: "chart-logits", title: "Logits" });
    this.probs = new BarChart(containers.output, {
      id: "chart-probs", title: "Softmax: next-character probabilities",
      description: "The outlined bar is the target.",
    });
    this.wxh = new Heatmap(containers.weights, { id: "chart-w-xh", title: "Input weights" });
    this.whh = new Heatmap(containers.weights, { id: "chart-w-hh", title: "Recurrent weights" });
    this.why = new Heatmap(containers.weights, { id: "chart-w-hy", title: "Readout weights" });
    this.time = new Heatmap(containers.time, {
      id: "chart-h-time", title: "h_t at every step (columns: steps)",
      description: "The outlined column is the current step.",
    });
    /** @type {Shown | null} what setTrace took, for showStep */
    this.shown = null;
  }

  /**
   * Name the weights in a notation: chart titles such as "W_xh (PyTorch weight_ih_l0)".
   * @param {string} notation a key of NOTATIONS
   */
  setNotation(notation) {
    const n = NOTATIONS[notation];
    const [wIn, wHidden, wOut, bOut] = [n.inputWeight(""), n.hiddenWeight(""), n.outputWeight, n.outputBias]
      .map(symbolText);
    const pytorch = notation === "pytorch";
    /** @param {string} tensor */
    const named = (tensor) => (pytorch ? `(${tensor})` : `(PyTorch ${tensor})`);
    retitle(this.wxh, `${wIn} ${named("weight_ih_l0")}`);
    retitle(this.whh, `${wHidden} ${named("weight_hh_l0")}`);
    retitle(this.why, `${wOut} ${named("readout.weight")}`);
    retitle(this.logits, `Logits (readout ${wOut} h_t + ${bOut})`);
  }

  /**
   * Take a new trace and the model's weights; call showStep next.
   * @param {Trace} trace with projections
   * @param {Record<string, number[][]>} weights the state_dict
   */
  setTrace(trace, weights) {
    const layer = trace.layers[0];
    this.shown = {
      trace,
      weights,
      units: Array.from({ length: trace.hidden_size }, (_, j) => `h${j + 1}`),
      stepLabels: trace.tokens.map((ch, t) => `${t}:${showChar(ch)}`),
      ranges: {
        hidden: rangeOf(layer.h, { symmetric: true, min: 1 }),
        cell: layer.c ? rangeOf(layer.c, { symmetric: true, min: 1 }) : [-1, 1],
        logits: rangeOf(trace.logits, { symmetric: true, min: 1 }),
      },
    };
    this.cell.figure.hidden = !hasCellState(trace.cell);
    this.gates.figure.hidden = trace.cell === "rnn";
  }

  /**
   * Update every chart to step t.
   * @param {number} t
   * @returns {Promise<void[]>}
   */
  showStep(t) {
    if (!this.shown) return Promise.resolve([]);
    const { trace, units, stepLabels, ranges } = this.shown;
    const layer = trace.layers[0];
    const inputIndex = trace.vocab.indexOf(trace.tokens[t]);
    const target = trace.targets[t];
    const targetIndex = target === null ? null : trace.vocab.indexOf(target);
    const vocab = trace.vocab.map(showChar);
    const draws = [
      this.input.update({
        labels: vocab, series: [{ name: "x_t", values: trace.vocab.map((_, k) => (k === inputIndex ? 1 : 0)) }],
        yRange: [0, 1.25], colorscale: SEQUENTIAL, colourRange: [0, 1],
      }),
      this.hidden.update({
        labels: units, series: [{ name: "h_t", values: layer.h[t] }], yRange: ranges.hidden, colorscale: DIVERGING,
      }),
      this.logits.update({
        labels: vocab, series: [{ name: "logit", values: trace.logits[t] }], yRange: ranges.logits,
        colorscale: DIVERGING, outline: targetIndex,
      }),
      this.probs.update({
        labels: vocab, series: [{ name: "p", values: trace.probs[t] }], yRange: [0, 1.2],
        colorscale: SEQUENTIAL, colourRange: [0, 1], outline: targetIndex,
      }),
      ...this.weightDraws(this.shown, inputIndex),
      this.time.update({
        z: transpose(layer.h), x: stepLabels, y: units, zRange: [-1, 1],
        colorscale: DIVERGING, highlightColumn: t, xTitle: "step:input", height: heatmapHeight(units.length),
        showValues: trace.tokens.length <= 24,
      }),
    ];
    if (hasCellState(trace.cell) && layer.c) {
      draws.push(this.cell.update({
        labels: units, series: [{ name: "c_t", values: layer.c[t] }], yRange: ranges.cell, colorscale: DIVERGING,
      }));
    }
    if (trace.cell !== "rnn") {
      draws.push(this.gates.update({
        labels: units,
        series: Object.entries(layer.gates).map(([name, rows]) => ({ name, values: rows[t], colour: GATE_COLOURS[name] })),
        yRange: [-1.2, 1.2],
      }));
    }
    return Promise.all(draws);
  }

  /**
   * The three weight heatmaps; the column of W_xh picked by x_t is outlined.
   * @param {Shown} shown
   * @param {number} inputIndex
   * @returns {Promise<void>[]}
   */
  weightDraws({ trace, weights, units }, inputIndex) {
    const rows = gateRowLabels(trace.cell, trace.hidden_size);
    const vocab = trace.vocab.map(showChar);
    const wxh = weights.weight_ih_l0;
    const whh = weights.weight_hh_l0;
    const why = weights["readout.weight"];
    return [
      this.wxh.update({
        z: wxh, x: vocab, y: rows, zRange: symmetric(wxh), colorscale: DIVERGING, highlightColumn: inputIndex,
        xTitle: "input character", yTitle: "gate · unit", height: heatmapHeight(rows.length),
      }),
      this.whh.update({
        z: whh, x: units, y: rows, zRange: symmetric(whh), colorscale: DIVERGING,
        xTitle: "unit of h(t−1)", yTitle: "gate · unit", height: heatmapHeight(rows.length),
      }),
      this.why.update({
        z: why, x: units, y: vocab, zRange: symmetric(why), colorscale: DIVERGING,
        xTitle: "unit of h(t)", yTitle: "output character", height: heatmapHeight(vocab.length),
      }),
    ];
  }
}
