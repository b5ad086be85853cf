/**
 * One update after the backward pass: W′ = W − η ∂L/∂W on every weight, with the whole
 * gradient (the sum over every step), then the same text run forward through the updated
 * model (POST /api/trace with the model inline) for the loss before → after.
 * Test hooks: `#sgd-result[data-before][data-after]` hold both total losses at full precision;
 * the update equations' `mtable[data-name="after:<PyTorch name>"]` the updated weights.
 */
import { postJson } from "../api.js";
import { el, formatNumber, showChar } from "../dom.js";
import { updateEquation } from "../equations.js";
import { inlineModel } from "../handoff.js";
import { formatLoss, subscript } from "./backward.js";
import { scaled, sgdStep } from "./bptt.js";

/** The weight matrices whose update is written out (the biases change too). */
const SHOWN = ["weight_ih_l0", "weight_hh_l0", "readout.weight"];

/**
 * @typedef {import("../trace.js").BackwardTrace} BackwardTrace
 * @typedef {import("../trace.js").Trace} Trace
 * @typedef {import("../trace.js").ModelDetail} ModelDetail
 * @typedef {{lr: number, weights: Record<string, import("../trace.js").Tensor>, before: BackwardTrace,
 *   after: Trace}} Update
 */

export class SgdPanel {
  /**
   * @param {HTMLElement} result where the update is shown
   */
  constructor(result) {
    this.result = result;
    /** @type {{trace: BackwardTrace, model: ModelDetail, text: string} | null} */
    this.source = null;
    /** @type {Update | null} the last update shown */
    this.last = null;
  }

  /**
   * Take the trace whose gradients an update uses, and the model it is of; forget the last update.
   * @param {BackwardTrace} trace
   * @param {ModelDetail} model
   * @param {string} text
   */
  setTrace(trace, model, text) {
    this.source = { trace, model, text };
    this.clear();
  }

  /** Show no update (the learning rate, model or text changed). */
  clear() {
    this.last = null;
    this.result.replaceChildren();
    delete this.result.dataset.before;
    delete this.result.dataset.after;
  }

  /**
   * Apply one SGD step to every weight, run the text through the updated model, show both.
   * Rejects with the API's error (an ApiError) or a RangeError for a bad learning rate.
   * @param {number} lr
   * @param {string} notation a key of NOTATIONS
   */
  async apply(lr, notation) {
    if (!Number.isFinite(lr) || lr <= 0) throw new RangeError(`learning rate: ${lr} is not a number above 0`);
    const source = this.source;
    if (!source) return;
    const weights = sgdStep(source.model.state_dict, source.trace.weight_grads, lr);
    const model = { ...inlineModel(source.model), state_dict: weights };
    /** @type {Trace} */
    const after = await postJson("/api/trace", { model, text: source.text });
    if (source !== this.source) return; // a new model or text arrived meanwhile
    this.last = { lr, weights, before: source.trace, after };
    this.render(notation);
  }

  /**
   * Draw the last update (again, in another notation).
   * @param {string} notation a key of NOTATIONS
   */
  render(notation) {
    if (!this.last || !this.source) return;
    const { lr, weights, before, after } = this.last;
    const grads = before.weight_grads;
    const change = after.total_loss - before.total_loss;
    const percent = (100 * change) / before.total_loss;
    const verdict = change < 0 ? "lower" : "not lower: η is too large for this step";
    const summary = el("p", { class: "sgd-loss" },
      `Loss on “${[...this.source.text].map(showChar).join("")}” with η = ${lr}: ${formatLoss(before.total_loss)} → ` +
      `${formatLoss(after.total_loss)} (${percent > 0 ? "+" : ""}${formatNumber(percent, 2)} %), ${verdict}.`);
    summary.classList.add(change < 0 ? "correct" : "wrong");
    this.result.dataset.before = String(before.total_loss);
    this.result.dataset.after = String(after.total_loss);
    const equations = el("div", { class: "equations", "aria-label": "The weights before and after the update" });
    equations.append(...SHOWN.filter((name) => grads[name]).map((name) => updateEquation(name, {
      before: this.source?.model.state_dict[name] ?? [],
      change: scaled(grads[name].total, lr),
      after: weights[name],
    }, notation)));
    const note = el("p", { class: "muted" },
      "Every weight and bias takes the same step, W′ = W − η ∂L/∂W, with the whole gradient: the sum over " +
      "every step, where the running sums arrive at t = 0. Then the text runs forward again through W′.");
    this.result.replaceChildren(summary, this.lossTable(before, after), equations, note);
  }

  /**
   * The loss at each step before and after the update.
   * @param {Trace} before
   * @param {Trace} after
   */
  lossTable(before, after) {
    const table = el("table", { class: "data-table loss-table" });
    table.append(el("caption", {}, "Loss at each step, before and after the update"));
    const head = el("tr");
    head.append(el("th", { scope: "col" }, ""));
    before.tokens.forEach((ch, t) => head.append(el("th", { scope: "col" }, `L${subscript(t)} “${showChar(ch)}”`)));
    head.append(el("th", { scope: "col" }, "total L"));
    const rows = /** @type {[string, Trace][]} */ ([["before", before], ["after", after]]).map(([label, trace]) => {
      const tr = el("tr");
      tr.append(el("th", { scope: "row" }, label));
      for (const value of [...trace.loss, trace.total_loss]) tr.append(el("td", {}, formatLoss(value)));
      return tr;
    });
    table.append(head, ...rows);
    const box = el("div", { class: "table-scroll" });
    box.append(table);
    return box;
  }
}
