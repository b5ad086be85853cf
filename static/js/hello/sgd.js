/**
 * Updates after the backward pass: W′ = W − η ∂L/∂W on every weight, with the whole gradient
 * (the sum over every step), then the same text run forward and backward through the updated
 * model (POST /api/trace with the model inline) for the loss before → after and the gradient
 * of the next update. Updates chain: the k-th starts from the weights the (k−1)-th left, so
 * the URL's `sgd=<k>` (with its `lr`) reproduces the same weights and losses.
 * Test hooks: `#sgd-result[data-before][data-after]` hold the last update's total losses at
 * full precision, `#sgd-result[data-steps]` how many updates were applied, `.sgd-history
 * [data-losses]` (from the second update on) the total loss before the first and after each
 * update (a JSON array); the
 * update equations' `mtable[data-name="after:<PyTorch name>"]` the updated weights.
 */
import { postJson } from "../api.js";
import { el, formatNumber, showChar } from "../dom.js";
import { updateEquation } from "../equations.js";
import { inlineModel } from "../handoff.js";
import { formatLoss, subscript } from "./backward.js";
import { scaled, sgdStep } from "./bptt.js";

/** The weight matrices whose update is written out (the biases change too). */
const SHOWN = ["weight_ih_l0", "weight_hh_l0", "readout.weight"];
/** The most updates a URL may ask for (each is a request to the server). */
export const MAX_SGD_STEPS = 50;

/**
 * @typedef {import("../trace.js").BackwardTrace} BackwardTrace
 * @typedef {import("../trace.js").ModelDetail} ModelDetail
 * @typedef {import("../trace.js").Tensor} Tensor
 * @typedef {{model: ModelDetail, trace: BackwardTrace}} Weights a model's weights and their
 *   backward trace on the text
 * @typedef {{lr: number, before: Weights, after: Weights}} Update
 */

export class SgdPanel {
  /**
   * @param {HTMLElement} result where the updates are shown
   */
  constructor(result) {
    this.result = result;
    /** @type {{start: Weights, text: string} | null} the model as loaded, before any update */
    this.source = null;
    /** @type {Update[]} the updates applied, in order */
    this.updates = [];
  }

  /** How many updates are applied. */
  get count() {
    return this.updates.length;
  }

  /**
   * Take the trace whose gradients the first update uses, and the model it is of; forget
   * every update.
   * @param {BackwardTrace} trace
   * @param {ModelDetail} model
   * @param {string} text
   */
  setTrace(trace, model, text) {
    this.source = { start: { model, trace }, text };
    this.clear();
  }

  /** Show no update (the learning rate, model or text changed): back to the loaded weights. */
  clear() {
    this.updates = [];
    this.result.replaceChildren();
    for (const name of ["before", "after", "steps"]) delete this.result.dataset[name];
  }

  /**
   * Apply updates with one learning rate until `count` are applied (each from the weights the
   * last one left), then show the last. Rejects with the API's error (an ApiError) or a
   * RangeError for a bad learning rate or count.
   * @param {number} count
   * @param {number} lr
   * @param {string} notation a key of NOTATIONS
   */
  async applyUntil(count, lr, notation) {
    if (!Number.isFinite(lr) || lr <= 0) throw new RangeError(`learning rate: ${lr} is not a number above 0`);
    if (!Number.isInteger(count) || count < 0 || count > MAX_SGD_STEPS) {
      throw new RangeError(`SGD steps: ${count} is not a whole number from 0 to ${MAX_SGD_STEPS}`);
    }
    const source = this.source;
    if (!source) return;
    if (this.updates.some((update) => update.lr !== lr)) this.clear();
    this.updates.splice(count);
    while (this.updates.length < count) {
      const before = this.updates.at(-1)?.after ?? source.start;
      const after = await this.step(before, lr, source.text);
      if (source !== this.source) return; // a new model or text arrived meanwhile
      this.updates.push({ lr, before, after });
    }
    this.render(notation);
  }

  /**
   * One SGD step from some weights, and the updated model's backward trace.
   * @param {Weights} from
   * @param {number} lr
   * @param {string} text
   * @returns {Promise<Weights>}
   */
  async step(from, lr, text) {
    const model = { ...from.model, state_dict: sgdStep(from.model.state_dict, from.trace.weight_grads, lr) };
    /** @type {BackwardTrace} */
    const trace = await postJson("/api/trace", { model: inlineModel(model), text, backward: true });
    return { model, trace };
  }

  /**
   * Draw the last update (again, in another notation), or nothing before the first.
   * @param {string} notation a key of NOTATIONS
   */
  render(notation) {
    const last = this.updates.at(-1);
    if (!last || !this.source) {
      this.clear();
      return;
    }
    const { lr, before, after } = last;
    const k = this.updates.length;
    const [lossBefore, lossAfter] = [before.trace.total_loss, after.trace.total_loss];
    const change = lossAfter - lossBefore;
    const percent = (100 * change) / lossBefore;
    const verdict = change < 0 ? "lower" : "not lower: η is too large for this step";
    const which = k === 1 ? "" : `step ${k}, `;
    const summary = el("p", { class: "sgd-loss" },
      `Loss on “${[...this.source.text].map(showChar).join("")}” (${which}η = ${lr}): ${formatLoss(lossBefore)} → ` +
      `${formatLoss(lossAfter)} (${percent > 0 ? "+" : ""}${formatNumber(percent, 2)} %), ${verdict}.`);
    summary.classList.add(change < 0 ? "correct" : "wrong");
    Object.assign(this.result.dataset, { before: String(lossBefore), after: String(lossAfter), steps: String(k) });
    const equations = el("div", { class: "equations", "aria-label": "The weights before and after the update" });
    const grads = before.trace.weight_grads;
    equations.append(...SHOWN.filter((name) => grads[name]).map((name) => updateEquation(name, {
      before: before.model.state_dict[name],
      change: scaled(grads[name].total, lr),
      after: after.model.state_dict[name],
    }, notation)));
    const note = el("p", { class: "muted", "data-secondary": "" },
      "Every weight and bias takes the same step, W′ = W − η ∂L/∂W, with the whole gradient: the sum over " +
      "every step, where the running sums arrive at t = 0. Then the text runs forward again through W′; " +
      "the next step starts from W′ with its new gradient.");
    equations.dataset.secondary = "";
    const history = k > 1 ? [this.history()] : [];
    this.result.replaceChildren(summary, ...history, this.lossTable(before.trace, after.trace), equations, note);
  }

  /** The total loss before the first update and after each one. */
  history() {
    const losses = [this.updates[0].before.trace.total_loss, ...this.updates.map((u) => u.after.trace.total_loss)];
    const line = el("p", { class: "sgd-history" }, `Total loss before any update, then after each of ${losses.length - 1}: ` +
      losses.map(formatLoss).join(" → "));
    line.dataset.losses = JSON.stringify(losses);
    return line;
  }

  /**
   * The loss at each step before and after the last update.
   * @param {BackwardTrace} before
   * @param {BackwardTrace} after
   */
  lossTable(before, after) {
    const table = el("table", { class: "data-table loss-table" });
    table.append(el("caption", {}, "Loss at each step, before and after the update"));
    const head = el("tr");
    head.append(el("th", { scope: "col" }, ""));
    before.tokens.forEach((ch, t) => head.append(el("th", { scope: "col" }, `L${subscript(t)} “${showChar(ch)}”`)));
    head.append(el("th", { scope: "col" }, "total L"));
    const rows = /** @type {[string, BackwardTrace][]} */ ([["before", before], ["after", after]]).map(([label, trace]) => {
      const tr = el("tr");
      tr.append(el("th", { scope: "row" }, label));
      for (const value of [...trace.loss, trace.total_loss]) tr.append(el("td", {}, formatLoss(value)));
      return tr;
    });
    table.append(head, ...rows);
    const box = el("div", { class: "table-scroll", "data-secondary": "" });
    box.append(table);
    return box;
  }
}
