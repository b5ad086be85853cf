/**
 * The cell's equations at one step, with that step's numbers filled in, as MathML.
 * Every number comes from the trace (input_proj, hidden_proj, gates, c, h): nothing is
 * recomputed here, apart from adding the two projections shown side by side.
 * The weights are named in the chosen notation (`../notation.js`).
 */
import { CELL_GATES, splitGates } from "../api.js";
import { apply, math, op, row, sub, token, vector } from "../mathml.js";
import { hiddenTerm, inOrder, inputTerm, NOTATIONS } from "../notation.js";

const SIGMA = "σ";
const TIMES = "⊙";

/**
 * @typedef {{xp: Record<string, number[]>, hp: Record<string, number[]>, gates: Record<string, number[]>,
 *   x: number[], hPrev: number[], h: number[], cPrev: number[] | null, c: number[] | null,
 *   char: string, nonlinearity: string}} StepNumbers
 */

/**
 * The numbers of layer 0 at step t, split by gate.
 * @param {import("../api.js").Trace} trace must hold projections
 * @param {number} t
 * @returns {StepNumbers}
 */
export function stepNumbers(trace, t) {
  const layer = trace.layers[0];
  const hidden = trace.hidden_size;
  const gateNames = CELL_GATES[trace.cell];
  const zeros = new Array(hidden).fill(0);
  const gates = Object.fromEntries(
    Object.entries(layer.gates).map(([name, rows]) => [name, rows[t]]),
  );
  return {
    xp: splitGates(/** @type {number[][]} */ (layer.input_proj)[t], gateNames, hidden),
    hp: splitGates(/** @type {number[][]} */ (layer.hidden_proj)[t], gateNames, hidden),
    gates,
    x: trace.vocab.map((ch) => (ch === trace.tokens[t] ? 1 : 0)),
    hPrev: t > 0 ? layer.h[t - 1] : zeros,
    h: layer.h[t],
    cPrev: layer.c ? (t > 0 ? layer.c[t - 1] : zeros) : null,
    c: layer.c ? layer.c[t] : null,
    char: trace.tokens[t],
    nonlinearity: trace.nonlinearity,
  };
}

/**
 * @param {number[]} a
 * @param {number[]} b
 */
const add = (a, b) => a.map((v, i) => v + b[i]);

/** Symbols h_t, h_{t−1}, x_t. */
const ht = () => sub("h", "t");
const hPrevSym = () => sub("h", "t−1");
const xt = () => sub("x", "t");

/**
 * The inputs line: x_t (one-hot of the character) and h_{t−1}.
 * @param {StepNumbers} s
 * @returns {Element}
 */
function inputsLine(s) {
  const parts = [xt(), op("="), vector(s.x, "x_t"), token("mtext", `\u2003(one-hot of “${s.char}”)`),
    op(",\u2003"), hPrevSym(), op("="), vector(s.hPrev, "h_prev")];
  if (s.cPrev) parts.push(op(",\u2003"), sub("c", "t−1"), op("="), vector(s.cPrev, "c_prev"));
  return math("inputs at this step", ...parts);
}

/** @typedef {import("../notation.js").Notation} Notation */

/**
 * The vanilla RNN: h_t = tanh(W_hh h_{t−1} + b_hh + W_xh x_t + b_xh), with the weights named
 * and the terms ordered as the notation writes them.
 * @param {StepNumbers} s
 * @param {Notation} n
 * @returns {Element[]}
 */
function rnnLines(s, n) {
  const f = s.nonlinearity;
  const hiddenLine = math("hidden projection", ...hiddenTerm(n, "", hPrevSym()), op("="),
    vector(s.hp[""], "hidden_proj"));
  const inputLine = math("input projection", ...inputTerm(n, "", xt()), op("="),
    vector(s.xp[""], "input_proj"));
  return [
    ...(n.hiddenFirst ? [hiddenLine, inputLine] : [inputLine, hiddenLine]),
    math("new hidden state", ht(), op("="),
      apply(f, ...inOrder(n, inputTerm(n, "", xt()), hiddenTerm(n, "", hPrevSym()))),
      op("="), apply(f, ...inOrder(n, [vector(s.xp[""])], [vector(s.hp[""])])),
      op("="), apply(f, vector(add(s.hp[""], s.xp[""]))), op("="), vector(s.h, "h_t")),
  ];
}

/**
 * One gate: g_t = act(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg) with numbers.
 * @param {StepNumbers} s
 * @param {Notation} n
 * @param {string} gate
 * @param {string} act
 * @returns {Element}
 */
function gateLine(s, n, gate, act) {
  return math(`gate ${gate}`, sub(gate, "t"), op("="),
    apply(act, ...inOrder(n, inputTerm(n, gate, xt()), hiddenTerm(n, gate, hPrevSym()))),
    op("="), apply(act, ...inOrder(n, [vector(s.xp[gate])], [vector(s.hp[gate])])),
    op("="), vector(s.gates[gate], `${gate}_t`));
}

/**
 * The LSTM: gates i f g o, then c_t and h_t.
 * @param {StepNumbers} s
 * @param {Notation} n
 * @returns {Element[]}
 */
function lstmLines(s, n) {
  const g = s.gates;
  return [
    gateLine(s, n, "i", SIGMA),
    gateLine(s, n, "f", SIGMA),
    gateLine(s, n, "g", "tanh"),
    gateLine(s, n, "o", SIGMA),
    math("new cell state", sub("c", "t"), op("="), sub("f", "t"), op(TIMES), sub("c", "t−1"), op("+"),
      sub("i", "t"), op(TIMES), sub("g", "t"), op("="),
      vector(g.f), op(TIMES), vector(/** @type {number[]} */ (s.cPrev)), op("+"), vector(g.i), op(TIMES), vector(g.g),
      op("="), vector(/** @type {number[]} */ (s.c), "c_t")),
    math("new hidden state", ht(), op("="), sub("o", "t"), op(TIMES), apply("tanh", sub("c", "t")), op("="),
      vector(g.o), op(TIMES), apply("tanh", vector(/** @type {number[]} */ (s.c))), op("="), vector(s.h, "h_t")),
  ];
}

/**
 * The GRU (PyTorch form: r_t multiplies W_hn h_{t−1} + b_hn, after the product).
 * @param {StepNumbers} s
 * @param {Notation} n
 * @returns {Element[]}
 */
function gruLines(s, n) {
  const g = s.gates;
  const one = token("mn", "1");
  const gatedHidden = [sub("r", "t"), op(TIMES), row(op("("), ...hiddenTerm(n, "n", hPrevSym()), op(")"))];
  return [
    gateLine(s, n, "r", SIGMA),
    gateLine(s, n, "z", SIGMA),
    math("candidate state", sub("n", "t"), op("="),
      apply("tanh", ...inOrder(n, inputTerm(n, "n", xt()), gatedHidden)),
      op("="), apply("tanh", ...inOrder(n, [vector(s.xp.n)], [vector(g.r), op(TIMES), vector(s.hp.n)])),
      op("="), vector(g.n, "n_t")),
    math("new hidden state", ht(), op("="), row(op("("), one, op("−"), sub("z", "t"), op(")")), op(TIMES),
      sub("n", "t"), op("+"), sub("z", "t"), op(TIMES), hPrevSym(), op("="),
      row(op("("), token("mn", "1"), op("−"), vector(g.z), op(")")), op(TIMES), vector(g.n), op("+"),
      vector(g.z), op(TIMES), vector(s.hPrev), op("="), vector(s.h, "h_t")),
  ];
}

const LINES = { rnn: rnnLines, lstm: lstmLines, gru: gruLines };

/**
 * Replace the contents of `container` with the equations of step t.
 * @param {HTMLElement} container
 * @param {import("../api.js").Trace} trace
 * @param {number} t
 * @param {string} notation a key of NOTATIONS
 */
export function renderEquations(container, trace, t, notation) {
  const s = stepNumbers(trace, t);
  container.replaceChildren(inputsLine(s), ...LINES[trace.cell](s, NOTATIONS[notation]));
}
