/**
 * The names of the weights in three teaching traditions, so an instructor can match the
 * notation of their own slides. The numbers never change, only the names:
 *
 *   PyTorch             h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),  gates W_ii, W_hi …
 *   Jurafsky & Martin   h_t = tanh(U h_{t−1} + b_h + W x_t + b_x),  y_t = V h_t + b_y
 *   CS231n              h_t = tanh(W_hh h_{t−1} + b_hh + W_xh x_t + b_xh),  y_t = W_hy h_t + b_y
 *
 * The choice is kept in the URL (`notation=`) and remembered in this browser for every page.
 */
import { op, sub, token } from "./mathml.js";

/** @typedef {[string, string]} Symbol  base and subscript ("" = none) */

/**
 * @typedef {{label: string, hiddenFirst: boolean,
 *   inputWeight: (gate: string) => Symbol, inputBias: (gate: string) => Symbol,
 *   hiddenWeight: (gate: string) => Symbol, hiddenBias: (gate: string) => Symbol,
 *   outputWeight: Symbol, outputBias: Symbol}} Notation
 * `gate` is "" for the vanilla RNN, else the gate's letter (LSTM i f g o, GRU r z n).
 * `hiddenFirst`: the hidden term is written before the input term.
 */

/** @type {Record<string, Notation>} */
export const NOTATIONS = {
  pytorch: {
    label: "PyTorch (W_ih, W_hh)",
    hiddenFirst: false,
    inputWeight: (g) => ["W", g ? `i${g}` : "ih"],
    inputBias: (g) => ["b", g ? `i${g}` : "ih"],
    hiddenWeight: (g) => ["W", g ? `h${g}` : "hh"],
    hiddenBias: (g) => ["b", g ? `h${g}` : "hh"],
    outputWeight: ["W", "out"],
    outputBias: ["b", "out"],
  },
  jm: {
    label: "Jurafsky & Martin (U, W, V)",
    hiddenFirst: true,
    inputWeight: (g) => ["W", g],
    inputBias: (g) => ["b", `x${g}`],
    hiddenWeight: (g) => ["U", g],
    hiddenBias: (g) => ["b", `h${g}`],
    outputWeight: ["V", ""],
    outputBias: ["b", "y"],
  },
  cs231n: {
    label: "CS231n (W_xh, W_hh, W_hy)",
    hiddenFirst: true,
    inputWeight: (g) => ["W", `x${g || "h"}`],
    inputBias: (g) => ["b", `x${g || "h"}`],
    hiddenWeight: (g) => ["W", `h${g || "h"}`],
    hiddenBias: (g) => ["b", `h${g || "h"}`],
    outputWeight: ["W", "hy"],
    outputBias: ["b", "y"],
  },
};

/** The notation of a page that names none and has no remembered choice. */
export const DEFAULT_NOTATION = "cs231n";

const STORAGE_KEY = "unrolled:notation";

/**
 * The notation to show: the URL's if it names one, else the one remembered in this browser.
 * @param {string} fromUrl
 * @returns {string} a key of NOTATIONS
 */
export function chooseNotation(fromUrl) {
  if (fromUrl in NOTATIONS) return fromUrl;
  const stored = window.localStorage.getItem(STORAGE_KEY);
  return stored !== null && stored in NOTATIONS ? stored : DEFAULT_NOTATION;
}

/**
 * Remember a choice for every page of this browser.
 * @param {string} id
 */
export function rememberNotation(id) {
  if (id in NOTATIONS) window.localStorage.setItem(STORAGE_KEY, id);
}

/**
 * Fill a <select> with the notations and choose one.
 * @param {HTMLSelectElement} select
 * @param {string} chosen
 */
export function fillNotationSelect(select, chosen) {
  select.replaceChildren(
    ...Object.entries(NOTATIONS).map(([id, n]) => {
      const option = document.createElement("option");
      option.value = id;
      option.textContent = n.label;
      return option;
    }),
  );
  select.value = chosen;
}

/**
 * A symbol as plain text: "W_ih", "U", "b_hf".
 * @param {Symbol} symbol
 * @returns {string}
 */
export function symbolText([base, subscript]) {
  return subscript ? `${base}_${subscript}` : base;
}

/**
 * A symbol as MathML: W with subscript ih, or U alone.
 * @param {Symbol} symbol
 * @returns {Element}
 */
export function symbolMath([base, subscript]) {
  return subscript ? sub(base, subscript) : token("mi", base);
}

/**
 * The input side of a gate's affine map: W_ih x_t + b_ih (PyTorch), W x_t + b_x (J&M).
 * @param {Notation} n
 * @param {string} gate
 * @param {Element} input the input symbol (x_t, or h_t of the layer below)
 * @returns {Element[]}
 */
export function inputTerm(n, gate, input) {
  return [symbolMath(n.inputWeight(gate)), input, op("+"), symbolMath(n.inputBias(gate))];
}

/**
 * The hidden side: W_hh h_{t−1} + b_hh (PyTorch), U h_{t−1} + b_h (J&M).
 * @param {Notation} n
 * @param {string} gate
 * @param {Element} hidden the previous state symbol h_{t−1}
 * @returns {Element[]}
 */
export function hiddenTerm(n, gate, hidden) {
  return [symbolMath(n.hiddenWeight(gate)), hidden, op("+"), symbolMath(n.hiddenBias(gate))];
}

/**
 * An input-side and a hidden-side expression joined by +, in the notation's order
 * (PyTorch writes the input first; J&M and CS231n the hidden state first).
 * @param {Notation} n
 * @param {Element[]} inputSide
 * @param {Element[]} hiddenSide
 * @returns {Element[]}
 */
export function inOrder(n, inputSide, hiddenSide) {
  return n.hiddenFirst ? [...hiddenSide, op("+"), ...inputSide] : [...inputSide, op("+"), ...hiddenSide];
}
