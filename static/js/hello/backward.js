/**
 * The backward phase of /hello, one step at a time: what this step's loss is and the total,
 * the chain rule with this step's numbers (equations.js), and each shared weight's gradient
 * summed over the steps visited so far.
 * Test hooks: `#loss-table td[data-value]` (per step, and the total), `.dh-norm[data-value]`
 * (the length of ∂L/∂h_t), the equations' `mtable[data-name]` with `data-values` at full precision.
 */
import { el, showChar } from "../dom.js";
import { backwardEquations, gradientSumEquations } from "../equations.js";
import { backwardNumbers } from "./bptt.js";

/**
 * @typedef {import("../trace.js").BackwardTrace} BackwardTrace
 * @typedef {import("../trace.js").Tensor} Tensor
 */

/**
 * A loss written with enough digits to tell two close ones apart.
 * @param {number | null} loss
 */
export const formatLoss = (loss) => (loss === null ? "—" : loss.toPrecision(4));

/**
 * A step number as subscript digits: 12 → "₁₂".
 * @param {number} t
 */
export const subscript = (t) => String(t).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[Number(d)]);

/**
 * "L₀ + L₁ + … + L₃" as text.
 * @param {number} last
 */
const lossSum = (last) => (last <= 2
  ? Array.from({ length: last + 1 }, (_, t) => `L${subscript(t)}`).join(" + ")
  : `L₀ + L₁ + … + L${subscript(last)}`);

export class BackwardPanel {
  /**
   * @param {{summary: HTMLElement, losses: HTMLElement, equations: HTMLElement, sums: HTMLElement,
   *   sumNote: HTMLElement}} elements
   */
  constructor(elements) {
    this.elements = elements;
    /** @type {{trace: BackwardTrace, weights: Record<string, Tensor>} | null} */
    this.shown = null;
  }

  /**
   * Take a new backward trace and the model's weights.
   * @param {BackwardTrace} trace with projections
   * @param {Record<string, Tensor>} weights the state_dict
   */
  setTrace(trace, weights) {
    this.shown = { trace, weights };
  }

  /**
   * Show backward step t.
   * @param {number} t
   * @param {string} notation a key of NOTATIONS
   */
  show(t, notation) {
    if (!this.shown) return;
    const { trace, weights } = this.shown;
    const { summary, equations, sums, sumNote } = this.elements;
    const last = trace.tokens.length - 1;
    const target = trace.targets[t];
    const loss = trace.loss[t];
    const here = target === null
      ? "no target at the last step: no loss here, and no later step to send a gradient back"
      : `target “${showChar(target)}”, this step's loss L${subscript(t)} = ${formatLoss(loss)}`;
    const norm = Math.hypot(...trace.grads[0].dh[t]);
    const size = el("span", { class: "dh-norm", "data-value": String(norm) },
      `‖∂L/∂h${subscript(t)}‖ = ${formatLoss(norm)}.`);
    const total = el("span", { "data-secondary": "" },
      `Every gradient is of the total loss L = ${lossSum(last - 1)} = ${formatLoss(trace.total_loss)}. `);
    summary.replaceChildren(`Backward at t = ${t} (from ${last} down to 0): input “${showChar(trace.tokens[t])}”, ` +
      `${here}. `, total, size);
    this.showLosses(t);
    if (trace.num_layers !== 1) {
      equations.replaceChildren(el("p", { class: "note" },
        `The backward view shows one-layer models; this one has ${trace.num_layers} layers.`));
      sums.replaceChildren();
      sumNote.textContent = "";
      return;
    }
    const numbers = backwardNumbers(trace, weights, t);
    const lines = backwardEquations(trace.cell, numbers, notation);
    // The presenter view keeps the chain from the output to the recurrent weights and their
    // running sum; a gated cell's gate-by-gate lines, and its recurrent weights' 3 or 4 stacked
    // blocks (too tall for one screen), are for readers.
    const gated = trace.cell !== "rnn";
    for (const line of lines) {
      const label = line.getAttribute("alttext") ?? "";
      if (label.startsWith("gradient of gate") || (gated && label.includes("recurrent weights"))) {
        line.setAttribute("data-secondary", "");
      }
    }
    equations.replaceChildren(...lines);
    const sumLines = gradientSumEquations(numbers, notation);
    sumLines.forEach((line, k) => {
      if (gated || numbers.sums[k].name !== "weight_hh_l0") line.setAttribute("data-secondary", "");
    });
    sums.replaceChildren(...sumLines);
    const visited = t === last ? `step ${last} only` : `steps ${last} down to ${t}`;
    sumNote.textContent = "The same weights at every step, so their gradients add up: ∂L/∂W is the sum over " +
      `the steps of each step's term. Summed so far (${visited})` +
      (t === 0 ? ": every step, the whole gradient." : `; ${t} more step${t === 1 ? "" : "s"} to go.`);
  }

  /**
   * The loss at every step and the total, the current step outlined, the visited ones marked.
   * @param {number} t
   */
  showLosses(t) {
    if (!this.shown) return;
    const { trace } = this.shown;
    const head = el("tr");
    head.append(el("th", { scope: "col" }, "step"));
    const body = el("tr");
    body.append(el("th", { scope: "row" }, "loss Lₜ"));
    trace.tokens.forEach((ch, s) => {
      const cls = s === t ? "current" : s > t ? "visited" : "";
      head.append(el("th", { scope: "col", class: cls }, `${s}: “${showChar(ch)}”`));
      const cell = el("td", { class: cls }, formatLoss(trace.loss[s]));
      if (trace.loss[s] !== null) cell.dataset.value = String(trace.loss[s]);
      cell.dataset.step = String(s);
      body.append(cell);
    });
    head.append(el("th", { scope: "col" }, "total L"));
    const total = el("td", { class: "total" }, formatLoss(trace.total_loss));
    total.dataset.value = String(trace.total_loss);
    total.dataset.step = "total";
    body.append(total);
    const table = el("table", { class: "data-table loss-table" });
    table.append(el("caption", {}, "Cross-entropy at each step (the outlined one is this step) and their sum"));
    table.append(head, body);
    this.elements.losses.replaceChildren(table);
  }
}
