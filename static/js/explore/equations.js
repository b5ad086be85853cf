/**
 * The selected layer's equations, symbolic, in the chosen notation (PyTorch, Jurafsky &
 * Martin, CS231n), as MathML. Layer l > 0 reads the hidden state of the layer below.
 */
import { apply, math, node, op, row, sub, token } from "../mathml.js";
import { hiddenTerm, inOrder, inputTerm, NOTATIONS, symbolMath } from "../notation.js";

const SIGMA = "σ";
const TIMES = "⊙";

/** @typedef {import("../notation.js").Notation} Notation */

/**
 * The layer's input: x_t for the bottom layer, h_t^(l−1) above it.
 * @param {number} layer
 * @returns {Element}
 */
function layerInput(layer) {
  if (layer === 0) return sub("x", "t");
  const above = row(op("("), token("mn", String(layer - 1)), op(")"));
  return node("msubsup", [token("mi", "h"), token("mi", "t"), above]);
}

const ht = () => sub("h", "t");
const hPrev = () => sub("h", "t−1");

/**
 * @param {Notation} n
 * @param {string} gate
 * @param {string} act
 * @param {number} layer
 */
function gateLine(n, gate, act, layer) {
  return math(`gate ${gate}`, sub(gate, "t"), op("="),
    apply(act, ...inOrder(n, inputTerm(n, gate, layerInput(layer)), hiddenTerm(n, gate, hPrev()))));
}

/** @type {Record<string, (n: Notation, layer: number, f: string) => Element[]>} */
const LINES = {
  rnn: (n, layer, f) => [
    math("hidden state", ht(), op("="),
      apply(f, ...inOrder(n, inputTerm(n, "", layerInput(layer)), hiddenTerm(n, "", hPrev())))),
  ],
  lstm: (n, layer) => [
    gateLine(n, "i", SIGMA, layer),
    gateLine(n, "f", SIGMA, layer),
    gateLine(n, "g", "tanh", layer),
    gateLine(n, "o", SIGMA, layer),
    math("cell state", sub("c", "t"), op("="), sub("f", "t"), op(TIMES), sub("c", "t−1"), op("+"),
      sub("i", "t"), op(TIMES), sub("g", "t")),
    math("hidden state", ht(), op("="), sub("o", "t"), op(TIMES), apply("tanh", sub("c", "t"))),
  ],
  gru: (n, layer) => [
    gateLine(n, "r", SIGMA, layer),
    gateLine(n, "z", SIGMA, layer),
    math("candidate state", sub("n", "t"), op("="), apply("tanh", ...inOrder(n,
      inputTerm(n, "n", layerInput(layer)),
      [sub("r", "t"), op(TIMES), row(op("("), ...hiddenTerm(n, "n", hPrev()), op(")"))]))),
    math("hidden state", ht(), op("="), row(op("("), token("mn", "1"), op("−"), sub("z", "t"), op(")")),
      op(TIMES), sub("n", "t"), op("+"), sub("z", "t"), op(TIMES), hPrev()),
  ],
};

/**
 * Replace the container's contents with the layer's equations and the readout.
 * @param {HTMLElement} container
 * @param {{cell: string, nonlinearity: string, num_layers: number}} model
 * @param {number} layer
 * @param {string} notation a key of NOTATIONS
 */
export function renderEquations(container, model, layer, notation) {
  const n = NOTATIONS[notation];
  const top = model.num_layers - 1;
  const topState = top === 0 ? ht() : node("msubsup", [token("mi", "h"), token("mi", "t"),
    row(op("("), token("mn", String(top)), op(")"))]);
  const readout = math("readout", sub("z", "t"), op("="), symbolMath(n.outputWeight), topState, op("+"),
    symbolMath(n.outputBias), op(",\u2003"), sub("p", "t"), op("="), apply("softmax", sub("z", "t")));
  container.replaceChildren(...LINES[model.cell](n, layer, model.nonlinearity), readout);
}
