/**
 * Backpropagation through time in numbers, shaped for the /hello page (no DOM): what one
 * backward step shows, the running sum of each shared weight's gradient, and one SGD update.
 * Every gradient comes from the API's backward trace; only sums, products of forward values
 * (local derivatives such as 1 − h_t²) and the split of ∂L/∂h_t in two are computed here.
 */
import { CELL_GATES, hasCellState, splitGates } from "../cells.js";

/**
 * @typedef {import("../trace.js").BackwardTrace} BackwardTrace
 * @typedef {import("../trace.js").Tensor} Tensor
 * @typedef {import("../equations.js").BackwardNumbers} BackwardNumbers
 * @typedef {import("../equations.js").GradientSum} GradientSum
 */

/**
 * @param {number[]} a
 * @param {number[]} b
 */
const times = (a, b) => a.map((v, i) => v * b[i]);

/**
 * σ′ written with the gate's own value: s(1 − s).
 * @param {number[]} s
 */
const sigmoidSlope = (s) => s.map((v) => v * (1 - v));

/**
 * tanh′ written with the tanh's own value: 1 − v².
 * @param {number[]} v
 */
const tanhSlope = (v) => v.map((x) => 1 - x * x);

/**
 * Wᵀ v for a (rows, columns) matrix W and a rows-long v.
 * @param {number[][]} matrix
 * @param {number[]} vector
 * @returns {number[]}
 */
function transposeTimes(matrix, vector) {
  return matrix[0].map((_, j) => matrix.reduce((sum, row, k) => sum + row[j] * vector[k], 0));
}

/**
 * a + scale · b, element by element, for vectors or matrices of one shape.
 * @param {Tensor} a
 * @param {Tensor} b
 * @param {number} [scale]
 * @returns {Tensor}
 */
export function addScaled(a, b, scale = 1) {
  return /** @type {Tensor} */ (a.map((v, i) => {
    const w = b[i];
    if (Array.isArray(v) && Array.isArray(w)) return v.map((x, j) => x + scale * w[j]);
    return /** @type {number} */ (v) + scale * /** @type {number} */ (w);
  }));
}

/**
 * A tensor of zeros shaped like another.
 * @param {Tensor} like
 * @returns {Tensor}
 */
const zerosLike = (like) => addScaled(like, like, -1);

/**
 * factor · a.
 * @param {Tensor} a
 * @param {number} factor
 * @returns {Tensor}
 */
export const scaled = (a, factor) => addScaled(zerosLike(a), a, factor);

/**
 * Each weight's gradient summed over the steps visited so far, from the last step down to t:
 * the same weights act at every step, so their gradients add up (by_step summed over every
 * step is `total`).
 * @param {BackwardTrace} trace
 * @param {number} t
 * @returns {GradientSum[]}
 */
export function runningSums(trace, t) {
  const last = trace.tokens.length - 1;
  return Object.entries(trace.weight_grads).map(([name, { by_step }]) => {
    let previous = zerosLike(by_step[t]);
    for (let s = last; s > t; s -= 1) previous = addScaled(previous, by_step[s]);
    return { name, previous, step: by_step[t], sum: addScaled(previous, by_step[t]) };
  });
}

/**
 * Everything one backward step of layer 0 shows (the page's models have one layer, whose
 * h_t feeds the readout).
 * @param {BackwardTrace} trace with projections
 * @param {Record<string, Tensor>} weights the model's state_dict
 * @param {number} t
 * @returns {BackwardNumbers}
 */
export function backwardNumbers(trace, weights, t) {
  const layer = trace.layers[0];
  const grads = trace.grads[0];
  const hidden = trace.hidden_size;
  const count = trace.tokens.length;
  const zeros = new Array(hidden).fill(0);
  const target = trace.targets[t];
  const dy = trace.dlogits[t];
  const dh = grads.dh[t];
  // ∂L/∂h_t is the sum of two terms; the API sends the sum. The term from this step's output
  // is W_outᵀ ∂L_t/∂y_t (readout.weight transposed times dlogits_t); what comes back from step
  // t+1 is the rest, dh_t − that term (computed here, not sent by the API).
  const out = transposeTimes(/** @type {number[][]} */ (weights["readout.weight"]), dy);
  const future = dh.map((v, j) => v - out[j]);
  const dpre = Object.fromEntries(Object.entries(grads.dpre).map(([gate, rows]) => [gate, rows[t]]));
  const hPrev = t > 0 ? layer.h[t - 1] : zeros;
  /** @param {string} gate */
  const gate = (gate) => layer.gates[gate][t];
  /** @type {Record<string, number[]>} */
  let factors;
  /** @type {number[]} */
  let whhLeft;
  if (hasCellState(trace.cell) && layer.c && grads.dc) {
    const c = layer.c[t];
    const tanhC = c.map(Math.tanh);
    factors = {
      tanhC, oSlope: sigmoidSlope(gate("o")), o: gate("o"), cSlope: tanhSlope(tanhC),
      fNext: t + 1 < count ? layer.gates.f[t + 1] : zeros, g: gate("g"), iSlope: sigmoidSlope(gate("i")),
      cPrev: t > 0 ? layer.c[t - 1] : zeros, fSlope: sigmoidSlope(gate("f")), i: gate("i"), gSlope: tanhSlope(gate("g")),
      dcNext: t + 1 < count ? grads.dc[t + 1] : zeros,
    };
    if (layer.peephole) {
      // w_ci | w_cf | w_co, and what reaches c_t through the gates i and f of step t+1
      const peep = splitGates(layer.peephole, ["i", "f", "o"], hidden);
      const next = (/** @type {string} */ gate) => (t + 1 < count ? grads.dpre[gate][t + 1] : zeros);
      factors = { ...factors, wCi: peep.i, wCf: peep.f, wCo: peep.o, daINext: next("i"), daFNext: next("f") };
    }
    whhLeft = CELL_GATES.lstm.flatMap((name) => dpre[name]);
  } else if (trace.cell === "gru") {
    const n = gate("n");
    // W_hn h_{t−1} + b_hn: the n block of the hidden projection (W_hh h_{t−1} + b_hh).
    const hn = (layer.hidden_proj?.[t] ?? []).slice(2 * hidden, 3 * hidden);
    factors = {
      oneMinusZ: gate("z").map((z) => 1 - z), nSlope: tanhSlope(n), hPrevMinusN: hPrev.map((v, j) => v - n[j]),
      zSlope: sigmoidSlope(gate("z")), hn, rSlope: sigmoidSlope(gate("r")),
    };
    // W_hh's n rows meet h_{t−1} through r_t: their term is (r_t ⊙ ∂L/∂a_n) h_{t−1}ᵀ.
    whhLeft = [...dpre.r, ...dpre.z, ...times(gate("r"), dpre.n)];
  } else {
    const h = layer.h[t];
    factors = { slope: trace.nonlinearity === "relu" ? h.map((v) => (v > 0 ? 1 : 0)) : tanhSlope(h) };
    whhLeft = dpre.a;
  }
  const whh = trace.weight_grads.weight_hh_l0;
  return {
    t,
    count,
    nonlinearity: trace.nonlinearity,
    target,
    p: trace.probs[t],
    onehot: target === null ? null : trace.vocab.map((ch) => (ch === target ? 1 : 0)),
    dy,
    out,
    future,
    dh,
    dc: grads.dc ? grads.dc[t] : null,
    dpre,
    factors,
    whhLeft,
    hPrev,
    whhStep: /** @type {number[][]} */ (whh.by_step[t]),
    sums: runningSums(trace, t),
  };
}

/**
 * One step of plain gradient descent on every weight: W − lr · ∂L/∂W.
 * @param {Record<string, Tensor>} weights
 * @param {BackwardTrace["weight_grads"]} grads
 * @param {number} lr
 * @returns {Record<string, Tensor>}
 */
export function sgdStep(weights, grads, lr) {
  return Object.fromEntries(Object.entries(weights).map(([name, w]) => {
    const grad = grads[name];
    return [name, grad ? addScaled(w, grad.total, -lr) : w];
  }));
}
