/**
 * The two charts redrawn at every cursor move, as plain SVG bars (`svgbars.js`): the gates'
 * values for every unit at the cursor step, and the top-k next-character predictions.
 */
import { EXPLORE, GATE_COLOURS, SEQUENTIAL, SIZES } from "../config.js";
import { colourAt } from "../charts/scale.js";
import { showChar } from "../dom.js";
import { SvgBarChart } from "./svgbars.js";

/** Every gate's value for every unit at one step, one colour per gate; the selected unit marked. */
export class GateBars extends SvgBarChart {
  /**
   * @param {HTMLElement} container
   * @param {{id: string, title: string, description?: string}} options
   * @param {(unit: number) => void} onPick called when a bar is clicked
   */
  constructor(container, options, onPick) {
    super(container, { ...options, height: SIZES.chartHeight });
    this.root.addEventListener("click", (event) => {
      const unit = this.indexAt(event);
      if (unit !== null) onPick(unit);
    });
    /** @type {string[]} */
    this.columns = [];
  }

  /**
   * @param {Record<string, number[]>} gates each gate's H values at this step
   */
  show(gates) {
    const names = Object.keys(gates);
    const hidden = gates[names[0]].length;
    if (this.columns.length !== hidden) this.columns = Array.from({ length: hidden }, (_, j) => `unit ${j}`);
    this.setFrame({
      groups: names.map((name) => ({ name: `gate ${name}`, colour: GATE_COLOURS[name] })),
      count: hidden, yRange: [-1.05, 1.05], yTicks: [-1, -0.5, 0, 0.5, 1], yTitle: "value", xTitle: "unit", paths: true,
    });
    this.update({ values: names.map((name) => gates[name]), columns: this.columns });
  }
}

/**
 * The k most probable next characters, most probable first (ties: vocabulary order).
 * @param {number[]} probs
 * @param {number} k
 * @returns {number[]} indices into the vocabulary
 */
export function topIndices(probs, k) {
  return probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b).slice(0, k);
}

/**
 * The k most probable next characters (or classes) at the cursor step; the true next character
 * (or the label) outlined.
 */
export class TopK extends SvgBarChart {
  /**
   * @param {{vocab: string[], probs: number[], target: string | null, xTitle?: string}} data
   *   `vocab`: what each probability is of, characters or classes
   */
  show({ vocab, probs, target, xTitle = "next character" }) {
    const k = Math.min(EXPLORE.topK, vocab.length);
    this.setFrame({
      groups: [{ name: "p", colour: SEQUENTIAL[5][1] }], count: k, yRange: [0, 1.12],
      yTicks: [0, 0.5, 1], yTitle: "probability", xTitle,
      xLabels: Array.from({ length: k }, () => ""), valueLabels: true,
    });
    const best = topIndices(probs, k);
    const labels = best.map((i) => showChar(vocab[i]));
    const values = best.map((i) => probs[i]);
    const outline = best.findIndex((i) => vocab[i] === target);
    this.update({
      values: [values], labels, columns: labels, outline: outline < 0 ? null : outline,
      colours: values.map((p) => colourAt(SEQUENTIAL, p, 0, 1)),
    });
  }
}

/**
 * A word model's input at the cursor step: x_t, the row of the embedding matrix E that the
 * word looks up (trace.embedded[t]), one bar per dimension.
 */
export class LookupBars extends SvgBarChart {
  /**
   * @param {number[]} row x_t = E[id(w_t)], (D)
   */
  show(row) {
    const top = Math.max(1e-9, ...row.map(Math.abs));
    const bound = Math.ceil(top * 10) / 10;
    if (!this.columns || this.columns.length !== row.length) this.columns = row.map((_, d) => `dim ${d}`);
    this.setFrame({
      groups: [{ name: "x_t", colour: SEQUENTIAL[5][1] }], count: row.length, yRange: [-1.05 * bound, 1.05 * bound],
      yTicks: [-bound, 0, bound], yTitle: "x_t", xTitle: "embedding dimension",
    });
    this.update({ values: [row], columns: this.columns, colours: row.map((v) => colourAt(SEQUENTIAL, Math.abs(v), 0, bound)) });
  }
}
