/**
 * The cell's equations as MathML, in the chosen notation (`notation.js`): symbolic for any
 * layer (/explore), or with one step's numbers filled in (/hello). One line per equation, its
 * sides joined by "=": the symbols, then (with numbers) the vectors they stand for, then the
 * result. Every number comes from the trace (input_proj, hidden_proj, gates, c, h): nothing is
 * recomputed, apart from adding the two projections shown side by side.
 */
import { CELL_GATES, splitGates } from "./cells.js";
import { apply, math, node, op, row, sub, token, vector } from "./mathml.js";
import { hiddenTerm, inOrder, inputTerm, NOTATIONS, symbolMath } from "./notation.js";

const SIGMA = "σ";
const TIMES = "⊙";

/**
 * @typedef {import("./notation.js").Notation} Notation
 * @typedef {{xp: Record<string, number[]>, hp: Record<string, number[]>, gates: Record<string, number[]>,
 *   x: number[], hPrev: number[], h: number[], cPrev: number[] | null, c: number[] | null,
 *   char: string}} StepNumbers layer 0's numbers at one step, split by gate
 * @typedef {(n: Notation, input: Element, f: string, s: StepNumbers | null) => Element[]} CellLines
 */

/**
 * The numbers of layer 0 at step t.
 * @param {import("./trace.js").Trace} trace with projections
 * @param {number} t
 * @returns {StepNumbers}
 */
function stepNumbers(trace, t) {
  const layer = trace.layers[0];
  const gateNames = CELL_GATES[trace.cell];
  const zeros = new Array(trace.hidden_size).fill(0);
  const projection = (/** @type {number[][] | null} */ rows) => splitGates(rows?.[t] ?? [], gateNames, trace.hidden_size);
  return {
    xp: projection(layer.input_proj),
    hp: projection(layer.hidden_proj),
    gates: Object.fromEntries(Object.entries(layer.gates).map(([name, rows]) => [name, rows[t]])),
    x: trace.vocab.map((ch) => (ch === trace.tokens[t] ? 1 : 0)),
    hPrev: t > 0 ? layer.h[t - 1] : zeros,
    h: layer.h[t],
    cPrev: layer.c ? (t > 0 ? layer.c[t - 1] : zeros) : null,
    c: layer.c ? layer.c[t] : null,
    char: trace.tokens[t],
  };
}

/** Symbols h_t and h_{t−1}. */
const ht = () => sub("h", "t");
const hPrev = () => sub("h", "t−1");

/**
 * The layer's input: x_t for the bottom layer, h_t^(l−1) above it.
 * @param {number} layer
 * @returns {Element}
 */
function layerInput(layer) {
  if (layer === 0) return sub("x", "t");
  return node("msubsup", [token("mi", "h"), token("mi", "t"), row(op("("), token("mn", String(layer - 1)), op(")"))]);
}

/**
 * One equation, its sides joined by "="; a side given as null (no numbers) is left out.
 * @param {string} label the accessible name of the line
 * @param {...(Element[] | null)} sides
 * @returns {Element}
 */
function equation(label, ...sides) {
  const shown = sides.filter((side) => side !== null);
  return math(label, ...shown.flatMap((side, k) => (k === 0 ? side : [op("="), ...side])));
}

/**
 * @param {number[]} a
 * @param {number[]} b
 */
const add = (a, b) => a.map((v, i) => v + b[i]);

/**
 * One gate: g_t = act(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg), then its numbers.
 * @param {Notation} n
 * @param {string} gate
 * @param {string} act
 * @param {Element} input
 * @param {StepNumbers | null} s
 * @returns {Element}
 */
function gateLine(n, gate, act, input, s) {
  return equation(`gate ${gate}`, [sub(gate, "t")],
    [apply(act, ...inOrder(n, inputTerm(n, gate, input), hiddenTerm(n, gate, hPrev())))],
    s && [apply(act, ...inOrder(n, [vector(s.xp[gate])], [vector(s.hp[gate])]))],
    s && [vector(s.gates[gate], `${gate}_t`)]);
}

/**
 * The vanilla RNN's two projections, each with its numbers, in the notation's order.
 * @param {Notation} n
 * @param {StepNumbers} s
 * @returns {Element[]}
 */
function projectionLines(n, s) {
  const hidden = math("hidden projection", ...hiddenTerm(n, "", hPrev()), op("="), vector(s.hp[""], "hidden_proj"));
  const input = math("input projection", ...inputTerm(n, "", sub("x", "t")), op("="), vector(s.xp[""], "input_proj"));
  return n.hiddenFirst ? [hidden, input] : [input, hidden];
}

/** @type {Record<import("./cells.js").Cell, CellLines>} */
const LINES = {
  // h_t = f(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), f = tanh or ReLU
  rnn: (n, input, f, s) => [
    ...(s ? projectionLines(n, s) : []),
    equation("hidden state", [ht()],
      [apply(f, ...inOrder(n, inputTerm(n, "", input), hiddenTerm(n, "", hPrev())))],
      s && [apply(f, ...inOrder(n, [vector(s.xp[""])], [vector(s.hp[""])]))],
      s && [apply(f, vector(add(s.hp[""], s.xp[""])))],
      s && [vector(s.h, "h_t")]),
  ],
  lstm: (n, input, _f, s) => [
    gateLine(n, "i", SIGMA, input, s),
    gateLine(n, "f", SIGMA, input, s),
    gateLine(n, "g", "tanh", input, s),
    gateLine(n, "o", SIGMA, input, s),
    equation("cell state", [sub("c", "t")],
      [sub("f", "t"), op(TIMES), sub("c", "t−1"), op("+"), sub("i", "t"), op(TIMES), sub("g", "t")],
      s && [vector(s.gates.f), op(TIMES), vector(s.cPrev ?? []), op("+"), vector(s.gates.i), op(TIMES),
        vector(s.gates.g)],
      s && [vector(s.c ?? [], "c_t")]),
    equation("hidden state", [ht()], [sub("o", "t"), op(TIMES), apply("tanh", sub("c", "t"))],
      s && [vector(s.gates.o), op(TIMES), apply("tanh", vector(s.c ?? []))],
      s && [vector(s.h, "h_t")]),
  ],
  // PyTorch's GRU: r_t multiplies W_hn h_{t−1} + b_hn, after the product.
  gru: (n, input, _f, s) => [
    gateLine(n, "r", SIGMA, input, s),
    gateLine(n, "z", SIGMA, input, s),
    equation("candidate state", [sub("n", "t")],
      [apply("tanh", ...inOrder(n, inputTerm(n, "n", input),
        [sub("r", "t"), op(TIMES), row(op("("), ...hiddenTerm(n, "n", hPrev()), op(")"))]))],
      s && [apply("tanh", ...inOrder(n, [vector(s.xp.n)], [vector(s.gates.r), op(TIMES), vector(s.hp.n)]))],
      s && [vector(s.gates.n, "n_t")]),
    equation("hidden state", [ht()],
      [row(op("("), token("mn", "1"), op("−"), sub("z", "t"), op(")")), op(TIMES), sub("n", "t"), op("+"),
        sub("z", "t"), op(TIMES), hPrev()],
      s && [row(op("("), token("mn", "1"), op("−"), vector(s.gates.z), op(")")), op(TIMES), vector(s.gates.n),
        op("+"), vector(s.gates.z), op(TIMES), vector(s.hPrev)],
      s && [vector(s.h, "h_t")]),
  ],
};

/**
 * A layer's equations, symbolic, then the readout from the top layer (/explore).
 * @param {{cell: import("./cells.js").Cell, nonlinearity: string, num_layers: number}} model
 * @param {number} layer
 * @param {string} notation a key of NOTATIONS
 * @returns {Element[]}
 */
export function layerEquations(model, layer, notation) {
  const n = NOTATIONS[notation];
  const top = model.num_layers - 1;
  const topState = top === 0 ? ht() : node("msubsup", [token("mi", "h"), token("mi", "t"),
    row(op("("), token("mn", String(top)), op(")"))]);
  const readout = math("readout", sub("z", "t"), op("="), symbolMath(n.outputWeight), topState, op("+"),
    symbolMath(n.outputBias), op(",\u2003"), sub("p", "t"), op("="), apply("softmax", sub("z", "t")));
  return [...LINES[model.cell](n, layerInput(layer), model.nonlinearity, null), readout];
}

/**
 * Layer 0's equations at step t with that step's numbers, after a line of its inputs: x_t
 * (one-hot of the character), h_{t−1} and, for an LSTM, c_{t−1} (/hello).
 * @param {import("./trace.js").Trace} trace with projections
 * @param {number} t
 * @param {string} notation a key of NOTATIONS
 * @returns {Element[]}
 */
export function stepEquations(trace, t, notation) {
  const s = stepNumbers(trace, t);
  const inputs = [sub("x", "t"), op("="), vector(s.x, "x_t"), token("mtext", `\u2003(one-hot of “${s.char}”)`),
    op(",\u2003"), hPrev(), op("="), vector(s.hPrev, "h_prev")];
  if (s.cPrev) inputs.push(op(",\u2003"), sub("c", "t−1"), op("="), vector(s.cPrev, "c_prev"));
  return [math("inputs at this step", ...inputs), ...LINES[trace.cell](NOTATIONS[notation], sub("x", "t"), trace.nonlinearity, s)];
}
