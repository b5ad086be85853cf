/**
 * The cells as the pages name them: their gates in PyTorch's chunk order, and how a stacked
 * (G*H)-row weight or projection splits into one block per gate. The peephole LSTM (Gers &
 * Schmidhuber, models/peephole.py) has the LSTM's gates; they also see the cell state.
 */

/** @typedef {"rnn" | "lstm" | "gru" | "peephole"} Cell */

/** @type {Record<Cell, string>} */
export const CELL_NAMES = { rnn: "RNN", lstm: "LSTM", gru: "GRU", peephole: "Peephole LSTM" };

/**
 * @param {string} name
 * @returns {name is Cell}
 */
export function isCell(name) {
  return Object.hasOwn(CELL_NAMES, name);
}

/** Gate names of each cell, in PyTorch's chunk order along the first weight axis ("" = none). */
export const CELL_GATES = { rnn: [""], lstm: ["i", "f", "g", "o"], gru: ["r", "z", "n"], peephole: ["i", "f", "g", "o"] };

/**
 * Whether the cell carries a cell state c_t beside h_t (the LSTM and the peephole LSTM).
 * @param {string} cell
 */
export const hasCellState = (cell) => cell === "lstm" || cell === "peephole";

/** Gates squashed by a sigmoid (values in [0, 1]); the others (LSTM g, GRU n) use tanh. */
export const SIGMOID_GATES = new Set(["i", "f", "o", "r", "z"]);

/**
 * Split a (G*H)-long row of stacked gate values into one H-long slice per gate.
 * @param {number[]} row
 * @param {string[]} gates
 * @param {number} hidden
 * @returns {Record<string, number[]>}
 */
export function splitGates(row, gates, hidden) {
  return Object.fromEntries(gates.map((g, k) => [g, row.slice(k * hidden, (k + 1) * hidden)]));
}

/**
 * Row labels of a stacked (G*H)-row weight matrix: `h1 h2 …` for an RNN, `i1 … o3` for an LSTM.
 * @param {Cell} cell
 * @param {number} hidden
 * @returns {string[]}
 */
export function gateRowLabels(cell, hidden) {
  return CELL_GATES[cell].flatMap((g) => Array.from({ length: hidden }, (_, j) => `${g === "" ? "h" : g}${j + 1}`));
}
