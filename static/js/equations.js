/**
 * The cell's equations as MathML, in the chosen notation (`notation.js`): symbolic for any
 * layer (/explore), or with one step's numbers filled in (/hello). One line per equation, its
 * sides joined by "=": the symbols, then (with numbers) the vectors they stand for, then the
 * result. Every number comes from the trace (input_proj, hidden_proj, gates, c, h): nothing is
 * recomputed, apart from adding the two projections shown side by side.
 *
 * Below the forward lines, their backward (backpropagation through time at one step, /hello):
 * the numbers come shaped by hello/bptt.js from the API's backward trace.
 */
import { CELL_GATES, splitGates } from "./cells.js";
import { DECIMALS } from "./config.js";
import { formatNumber, showChar } from "./dom.js";
import { apply, math, node, op, row, sub, token, vector } from "./mathml.js";
import { hiddenTerm, inOrder, inputTerm, NOTATIONS, symbolMath } from "./notation.js";

const SIGMA = "σ";
const TIMES = "⊙";

/**
 * @typedef {import("./notation.js").Notation} Notation
 * @typedef {{xp: Record<string, number[]>, hp: Record<string, number[]>, gates: Record<string, number[]>,
 *   x: number[], hPrev: number[], h: number[], cPrev: number[] | null, c: number[] | null,
 *   peep: Record<string, number[]>, char: string}} StepNumbers layer 0's numbers at one step, split
 *   by gate; `peep`: the peephole weights w_ci, w_cf, w_co by gate (peephole LSTM, else empty)
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
    peep: layer.peephole ? splitGates(layer.peephole, ["i", "f", "o"], trace.hidden_size) : {},
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
 * A peephole gate: the LSTM's gate plus w_c ⊙ c (c_{t−1} for i and f, c_t for o), then its
 * numbers (Gers & Schmidhuber's peepholes, named w_ci, w_cf, w_co as in Graves 2013).
 * @param {Notation} n
 * @param {string} gate
 * @param {Element} input
 * @param {StepNumbers | null} s
 * @param {"t" | "t−1"} when the cell state the gate sees
 * @returns {Element}
 */
function peepholeGateLine(n, gate, input, s, when) {
  const symbols = [apply(SIGMA, ...inOrder(n, inputTerm(n, gate, input), hiddenTerm(n, gate, hPrev())), op("+"),
    sub("w", `c${gate}`), op(TIMES), sub("c", when))];
  if (!s) return equation(`gate ${gate}`, [sub(gate, "t")], symbols);
  const c = when === "t" ? s.c : s.cPrev;
  // Three vectors and a product: on a second line, as the backward pass's long lines.
  return twoLines(`gate ${gate}`, [sub(gate, "t")], symbols,
    [apply(SIGMA, ...inOrder(n, [vector(s.xp[gate])], [vector(s.hp[gate])]), op("+"),
      vector(s.peep[gate]), op(TIMES), vector(c ?? []))],
    [vector(s.gates[gate], `${gate}_t`)]);
}

/**
 * The LSTM's cell state and hidden state lines.
 * @param {StepNumbers | null} s
 * @returns {Element[]}
 */
function cellStateLines(s) {
  return [
    equation("cell state", [sub("c", "t")],
      [sub("f", "t"), op(TIMES), sub("c", "t−1"), op("+"), sub("i", "t"), op(TIMES), sub("g", "t")],
      s && [vector(s.gates.f), op(TIMES), vector(s.cPrev ?? []), op("+"), vector(s.gates.i), op(TIMES),
        vector(s.gates.g)],
      s && [vector(s.c ?? [], "c_t")]),
  ];
}

/**
 * The LSTM's h_t = o_t ⊙ tanh(c_t), with its numbers.
 * @param {StepNumbers | null} s
 * @returns {Element}
 */
function lstmHiddenLine(s) {
  return equation("hidden state", [ht()], [sub("o", "t"), op(TIMES), apply("tanh", sub("c", "t"))],
    s && [vector(s.gates.o), op(TIMES), apply("tanh", vector(s.c ?? []))],
    s && [vector(s.h, "h_t")]);
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
    ...cellStateLines(s),
    lstmHiddenLine(s),
  ],
  // The gates i and f see c_{t−1}; the gate o, computed after the cell state, sees c_t.
  peephole: (n, input, _f, s) => [
    peepholeGateLine(n, "i", input, s, "t−1"),
    peepholeGateLine(n, "f", input, s, "t−1"),
    gateLine(n, "g", "tanh", input, s),
    ...cellStateLines(s),
    peepholeGateLine(n, "o", input, s, "t"),
    lstmHiddenLine(s),
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
 * @param {{cell: import("./cells.js").Cell, nonlinearity: string, num_layers: number, input?: string,
 *   output?: string}} model
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
  const lookup = math("embedding lookup", sub("x", "t"), op("="), token("mi", "E"), op("["),
    sub("w", "t"), op("]"), token("mtext", "\u2003(the row of the embedding matrix for the word read)"));
  const value = math("real input", sub("x", "t"), op("∈"), token("mi", "ℝ"),
    token("mtext", "\u2003(the series' value at step t, read through the input weights as it is)"));
  const forecast = math("readout", sub("y", "t"), op("="), symbolMath(n.outputWeight), topState, op("+"),
    symbolMath(n.outputBias), op(",\u2003"), token("mtext", "the prediction of "), sub("x", "t+1"), op(",\u2003"),
    sub("L", "t"), op("="), node("msup", [row(op("("), sub("y", "t"), op("−"), sub("x", "t+1"), op(")")), token("mn", "2")]));
  const input = layer === 0 ? { embedding: [lookup], real: [value] }[model.input ?? ""] ?? [] : [];
  const output = model.output === "value" ? forecast : readout;
  return [...input, ...LINES[model.cell](n, layerInput(layer), model.nonlinearity, null), output];
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

// ---------------------------------------------------------------------------------------------
// Backward: backpropagation through time at one step (/hello), beside the forward lines above.

const PARTIAL = "∂";
const TRANSPOSE = "⊤";

/**
 * @typedef {import("./trace.js").Tensor} Tensor
 * @typedef {{name: string, previous: Tensor, step: Tensor, sum: Tensor}} GradientSum one weight's
 *   gradient summed over the steps after t (`previous`), step t's term, and their sum
 * @typedef {{t: number, count: number, nonlinearity: string, target: string | null, p: number[],
 *   onehot: number[] | null, dy: number[], out: number[], future: number[], dh: number[], dc: number[] | null,
 *   dpre: Record<string, number[]>, factors: Record<string, number[]>, whhLeft: number[],
 *   hPrev: number[], whhStep: number[][], sums: GradientSum[]}} BackwardNumbers
 *   one backward step of layer 0 (hello/bptt.js): ∂L_t/∂y_t = p_t − onehot (`dy`); ∂L/∂h_t
 *   (`dh`) = `out` (from this step's output) + `future` (from step t+1); the gates' local
 *   derivatives (`factors`); step t's term of ∂L/∂W_hh = `whhLeft` h_{t−1}ᵀ = `whhStep`
 */

/**
 * The power of ten a tensor's numbers are written with: none (0) when the largest is in
 * [0.1, 1000), else the largest's (a trained model's gradients are 10⁻³ and smaller, and
 * 0.000 says nothing).
 * @param {number[]} values
 * @returns {number}
 */
function exponentOf(values) {
  const top = Math.max(0, ...values.map(Math.abs));
  if (top === 0 || (top >= 0.1 && top < 1000)) return 0;
  return Math.max(Math.floor(Math.log10(top)), -307); // 10 ** -308 and below: 0 or subnormal
}

/**
 * The power of ten for tensors written side by side (added, subtracted), so they read alike.
 * @param {...Tensor} tensors
 * @returns {number}
 */
export function sharedExponent(...tensors) {
  return exponentOf(tensors.flatMap((values) => values.flat()));
}

/**
 * A column vector, row vector or matrix in brackets (drawn by CSS, `mtable.vector`), after a
 * power of ten when its numbers are small. `data-values` keeps full precision.
 * @param {Tensor} values
 * @param {{name?: string, exponent?: number, horizontal?: boolean, decimals?: number}} [options]
 *   `horizontal`: a vector as a row; `name` is stored as data-name, to find it again
 * @returns {Element}
 */
export function tensor(values, { name, exponent, horizontal = false, decimals = DECIMALS } = {}) {
  const rows = values.map((v) => (Array.isArray(v) ? v : [v]));
  const grid = Array.isArray(values[0]) || !horizontal ? rows : [rows.flat()];
  const k = exponent ?? sharedExponent(values);
  const cell = (/** @type {number} */ v) => node("mtd", [token("mn", formatNumber(v / 10 ** k, decimals))]);
  const table = node("mtable", grid.map((r) => node("mtr", r.map(cell))), { class: "vector" });
  if (name) table.setAttribute("data-name", name);
  table.setAttribute("data-values", JSON.stringify(values));
  if (k === 0) return table;
  return row(node("msup", [token("mn", "10"), token("mn", formatNumber(k, 0))]), op("\u22c5"), table);
}

/**
 * ∂L/∂x, or ∂num/∂x.
 * @param {Element} x
 * @param {Element} [num]
 * @returns {Element}
 */
function dL(x, num = token("mi", "L")) {
  return node("mfrac", [row(token("mi", PARTIAL), num), row(token("mi", PARTIAL), x)]);
}

/**
 * A symbol with a subscript and a superscript: W_hh^⊤, h_{t−1}^⊤, W_hh^(t). A superscript
 * after a subscripted symbol (msup of an msub) sits too far right.
 * @param {string} base
 * @param {string} subscript "" for none
 * @param {Element} sup
 * @returns {Element}
 */
function subsup(base, subscript, sup) {
  if (!subscript) return node("msup", [token("mi", base), sup]);
  const [baseElement, subElement] = [...sub(base, subscript).children];
  return node("msubsup", [baseElement, subElement, sup]);
}

/** @param {import("./notation.js").Symbol} symbol @returns {Element} the symbol transposed */
const transposed = ([base, subscript]) => subsup(base, subscript, token("mi", TRANSPOSE));

/**
 * A weight's copy at one step, W^(t): the unrolled network uses the same W at every step,
 * and ∂L/∂W^(t) is step t's term of ∂L/∂W.
 * @param {import("./notation.js").Symbol} symbol
 * @param {string} when
 */
const atStep = ([base, subscript], when) => subsup(base, subscript, row(op("("), token("mi", when), op(")")));

/**
 * A pre-activation: a_t for the RNN, a_{i,t} for a gate.
 * @param {string} gate "" for the RNN
 * @param {string} when "t", "t+1"
 */
const pre = (gate, when) => sub("a", gate ? `${gate},${when}` : when);

/**
 * A column of symbols in brackets: [∂L/∂a_{i,t}; ∂L/∂a_{f,t}; …], its fractions full size
 * (a table's cells are drawn in script size by default).
 * @param {Element[]} items
 */
const stack = (items) => node("mtable", items.map((item) => node("mtr", [node("mtd", [item])])),
  { class: "vector", displaystyle: "true" });

/**
 * An equation too long for one line, on two, aligned at "=": the symbols on the first, the
 * numbers (each side given, joined by "=") on the second.
 * @param {string} label the accessible name of the line
 * @param {Element[]} left
 * @param {Element[]} symbols
 * @param {...Element[]} sides
 * @returns {Element}
 */
function twoLines(label, left, symbols, ...sides) {
  const line = (/** @type {Element[]} */ lhs, /** @type {Element[]} */ rhs) =>
    node("mtr", [node("mtd", lhs, { class: "lhs" }), node("mtd", [op("="), ...rhs])]);
  const numbers = sides.flatMap((side, k) => (k === 0 ? side : [op("="), ...side]));
  return math(label, node("mtable", [line(left, symbols), line([], numbers)], { class: "aligned", displaystyle: "true" }));
}

/**
 * s(1 − s): a sigmoid's derivative in its own value.
 * @param {string} gate
 */
const sigmoidSlopeMath = (gate) => row(sub(gate, "t"), op("("), token("mn", "1"), op("−"), sub(gate, "t"), op(")"));

/**
 * (1 − v²): a tanh's derivative in its own value v, given v² (h_t², tanh²(c_t)).
 * @param {Element} squaredValue
 */
const tanhSlopeMath = (squaredValue) => row(op("("), token("mn", "1"), op("−"), squaredValue, op(")"));

/**
 * v² of a subscripted symbol: h_t², g_t².
 * @param {string} base
 */
const squared = (base) => subsup(base, "t", token("mn", "2"));

/**
 * Factors joined by ⊙ (multiplied element by element).
 * @param {...Element} factors
 * @returns {Element[]}
 */
const hadamard = (...factors) => factors.flatMap((f, k) => (k === 0 ? [f] : [op(TIMES), f]));

/**
 * A term with a small label under it ("from y_t").
 * @param {Element} term
 * @param {string} label
 */
const labelled = (term, label) => node("munder", [term, token("mtext", label)], { class: "labelled" });

/**
 * @typedef {(n: Notation, b: BackwardNumbers) => Element[]} BackwardLines the local derivatives
 * @typedef {(n: Notation) => Element[]} FutureTerm what comes back into h_t from step t+1
 */

/** An LSTM's a_t: its four gates' pre-activations, stacked as PyTorch stacks their weights. */
const LSTM_STACK = "a = (a_i, a_f, a_g, a_o) stacked";

/** @type {Record<import("./cells.js").Cell, FutureTerm>} */
const FUTURE = {
  // h_t enters step t+1 only through W_hh h_t: its gradient is W_hhᵀ ∂L/∂a_{t+1}.
  rnn: (n) => [transposed(n.hiddenWeight("")), dL(pre("", "t+1"))],
  lstm: (n) => [transposed(n.hiddenWeight("")), labelled(dL(pre("", "t+1")), LSTM_STACK)],
  peephole: (n) => [transposed(n.hiddenWeight("")), labelled(dL(pre("", "t+1")), LSTM_STACK)],
  // ... and, in a GRU, also directly: h_{t+1} = … + z_{t+1} ⊙ h_t.
  gru: (n) => [sub("z", "t+1"), op(TIMES), dL(sub("h", "t+1")), op("+"), transposed(n.hiddenWeight("")),
    stack([dL(pre("r", "t+1")), dL(pre("z", "t+1")), row(sub("r", "t+1"), op(TIMES), dL(pre("n", "t+1")))])],
};

/** The left factor of step t's term of ∂L/∂W_hh, an outer product with h_{t−1}. */
/** @type {Record<import("./cells.js").Cell, () => Element[]>} */
const WHH_LEFT = {
  rnn: () => [dL(pre("", "t"))],
  lstm: () => [labelled(dL(pre("", "t")), LSTM_STACK)],
  peephole: () => [labelled(dL(pre("", "t")), LSTM_STACK)],
  gru: () => [stack([dL(pre("r", "t")), dL(pre("z", "t")), row(sub("r", "t"), op(TIMES), dL(pre("n", "t")))])],
};

/**
 * One gate's line: ∂L/∂a_{g,t} = (symbols) = (numbers) = the API's value.
 * @param {string} gate
 * @param {Element[]} symbols
 * @param {Element[]} numbers
 * @param {number[]} value
 */
function gateGradientLine(gate, symbols, numbers, value) {
  return twoLines(`gradient of gate ${gate}`, [dL(pre(gate, "t"))], symbols, numbers,
    [tensor(value, { name: `dpre_${gate}` })]);
}

/**
 * The LSTM's local derivatives at step t: ∂L/∂a_o, ∂L/∂c_t (whose extra terms, the peephole
 * LSTM's, come as `moreSymbols` and `moreNumbers`), then ∂L/∂a_i, ∂L/∂a_f, ∂L/∂a_g.
 * @param {BackwardNumbers} b
 * @param {Element[]} moreSymbols
 * @param {Element[]} moreNumbers
 * @returns {Element[]}
 */
function lstmBackward(b, moreSymbols, moreNumbers) {
  const f = b.factors;
  const dc = b.dc ?? [];
  const tanhC = apply("tanh", sub("c", "t"));
  const tanhSquared = row(node("msup", [token("mi", "tanh"), token("mn", "2")]), op("\u2061"), sub("c", "t"));
  const dcSymbols = [...hadamard(dL(ht()), sub("o", "t"), tanhSlopeMath(tanhSquared)), op("+"),
    ...hadamard(dL(sub("c", "t+1")), sub("f", "t+1")), ...moreSymbols];
  const dcNumbers = [...hadamard(tensor(b.dh), tensor(f.o), tensor(f.cSlope)), op("+"),
    ...hadamard(tensor(f.dcNext), tensor(f.fNext)), ...moreNumbers];
  return [
    gateGradientLine("o", hadamard(dL(ht()), tanhC, sigmoidSlopeMath("o")),
      hadamard(tensor(b.dh), tensor(f.tanhC), tensor(f.oSlope)), b.dpre.o),
    twoLines("cell state gradient", [dL(sub("c", "t"))], dcSymbols, dcNumbers, [tensor(dc, { name: "dc" })]),
    gateGradientLine("i", hadamard(dL(sub("c", "t")), sub("g", "t"), sigmoidSlopeMath("i")),
      hadamard(tensor(dc), tensor(f.g), tensor(f.iSlope)), b.dpre.i),
    gateGradientLine("f", hadamard(dL(sub("c", "t")), sub("c", "t−1"), sigmoidSlopeMath("f")),
      hadamard(tensor(dc), tensor(f.cPrev), tensor(f.fSlope)), b.dpre.f),
    gateGradientLine("g", hadamard(dL(sub("c", "t")), sub("i", "t"), tanhSlopeMath(squared("g"))),
      hadamard(tensor(dc), tensor(f.i), tensor(f.gSlope)), b.dpre.g),
  ];
}

/** @type {Record<import("./cells.js").Cell, BackwardLines>} */
const BACKWARD = {
  // a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh,  h_t = tanh(a_t):  ∂L/∂a_t = ∂L/∂h_t ⊙ (1 − h_t²)
  // (ReLU: ∂L/∂h_t ⊙ 1[h_t > 0])
  rnn: (_n, b) => {
    const slope = b.nonlinearity === "relu"
      ? node("msub", [token("mn", "1"), row(op("["), sub("h", "t"), op(">"), token("mn", "0"), op("]"))])
      : tanhSlopeMath(squared("h"));
    return [equation("local derivative", [dL(pre("", "t"))], hadamard(dL(ht()), slope),
      hadamard(tensor(b.dh), tensor(b.factors.slope, { name: "slope" })),
      [tensor(b.dpre.a, { name: "dpre_a" })])];
  },
  // c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t,  h_t = o_t ⊙ tanh(c_t)
  lstm: (_n, b) => lstmBackward(b, [], []),
  // The peepholes add paths into c_t: through a_o (w_co ⊙ c_t) at step t, and through a_i and
  // a_f of step t+1 (w_ci ⊙ c_t, w_cf ⊙ c_t).
  peephole: (_n, b) => {
    const f = b.factors;
    const symbols = [op("+"), ...hadamard(sub("w", "co"), dL(pre("o", "t"))), op("+"),
      ...hadamard(sub("w", "ci"), dL(pre("i", "t+1"))), op("+"), ...hadamard(sub("w", "cf"), dL(pre("f", "t+1")))];
    const numbers = [op("+"), ...hadamard(tensor(f.wCo), tensor(b.dpre.o)), op("+"),
      ...hadamard(tensor(f.wCi), tensor(f.daINext)), op("+"), ...hadamard(tensor(f.wCf), tensor(f.daFNext))];
    return lstmBackward(b, symbols, numbers);
  },
  // h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1},  n_t = tanh(a_n),  a_n = W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn)
  gru: (n, b) => {
    const f = b.factors;
    const oneMinusZ = row(op("("), token("mn", "1"), op("−"), sub("z", "t"), op(")"));
    const hn = row(op("("), ...hiddenTerm(n, "n", hPrev()), op(")"));
    return [
      gateGradientLine("n", hadamard(dL(ht()), oneMinusZ, tanhSlopeMath(squared("n"))),
        hadamard(tensor(b.dh), tensor(f.oneMinusZ), tensor(f.nSlope)), b.dpre.n),
      gateGradientLine("z", hadamard(dL(ht()), row(op("("), hPrev(), op("−"), sub("n", "t"), op(")")),
        sigmoidSlopeMath("z")), hadamard(tensor(b.dh), tensor(f.hPrevMinusN), tensor(f.zSlope)), b.dpre.z),
      gateGradientLine("r", hadamard(dL(pre("n", "t")), hn, sigmoidSlopeMath("r")),
        hadamard(tensor(b.dpre.n), tensor(f.hn), tensor(f.rSlope)), b.dpre.r),
    ];
  },
};

/**
 * A weight's symbol in a notation, by its PyTorch name (another layer's keeps that name).
 * @param {Notation} n
 * @param {string} name
 * @returns {import("./notation.js").Symbol}
 */
export function weightSymbol(n, name) {
  /** @type {Record<string, import("./notation.js").Symbol>} */
  const symbols = {
    weight_ih_l0: n.inputWeight(""), weight_hh_l0: n.hiddenWeight(""), bias_ih_l0: n.inputBias(""),
    bias_hh_l0: n.hiddenBias(""), "readout.weight": n.outputWeight, "readout.bias": n.outputBias,
  };
  return symbols[name] ?? [name, ""];
}

/**
 * One backward step of layer 0 (/hello): ∂L_t/∂y_t; ∂L/∂h_t as its two terms and their sum;
 * the local derivatives down to each pre-activation; step t's term of ∂L/∂W_hh.
 * @param {import("./cells.js").Cell} cell
 * @param {BackwardNumbers} b
 * @param {string} notation a key of NOTATIONS
 * @returns {Element[]}
 */
export function backwardEquations(cell, b, notation) {
  const n = NOTATIONS[notation];
  const output = b.onehot === null
    ? equation("output gradient", [dL(sub("y", "t"), sub("L", "t"))],
      [tensor(b.dy, { name: "dlogits" }), token("mtext", "\u2003(no target at the last step: no loss L\u209c)")])
    : equation("output gradient", [dL(sub("y", "t"), sub("L", "t"))],
      [sub("p", "t"), op("−"), apply("onehot", token("mtext", `“${showChar(b.target ?? "")}”`))],
      [tensor(b.p), op("−"), tensor(b.onehot, { decimals: 0 })], [tensor(b.dy, { name: "dlogits" })]);
  const k = sharedExponent(b.out, b.future, b.dh);
  const wOut = transposed(n.outputWeight);
  const last = b.t === b.count - 1;
  const gated = cell !== "rnn"; // longer lines: on two
  const hidden = (gated ? twoLines : equation)("hidden state gradient", [dL(ht())],
    [labelled(row(wOut, dL(sub("y", "t"), sub("L", "t"))), "from this step’s output"), op("+"),
      labelled(last ? token("mn", "0") : row(...FUTURE[cell](n)), last ? "no step t+1" : "from step t+1")],
    [tensor(b.out, { name: "dh_out", exponent: k }), op("+"), tensor(b.future, { name: "dh_future", exponent: k })],
    [tensor(b.dh, { name: "dh", exponent: k })]);
  const recurrent = (gated ? twoLines : equation)("step t's term of the recurrent weights' gradient",
    [dL(atStep(n.hiddenWeight(""), "t"))],
    [...WHH_LEFT[cell](), subsup("h", "t−1", token("mi", TRANSPOSE))],
    [tensor(b.whhLeft), tensor(b.hPrev, { horizontal: true, name: "h_prev_row" })],
    [tensor(b.whhStep, { name: "dW_hh_step" })]);
  return [output, hidden, ...BACKWARD[cell](n, b), recurrent];
}

/**
 * Each shared weight's gradient summed over the steps visited so far, t to T−1: the sum up to
 * step t+1, plus step t's term; at t = 0 it is the whole gradient ∂L/∂W.
 * @param {BackwardNumbers} b
 * @param {string} notation a key of NOTATIONS
 * @returns {Element[]}
 */
export function gradientSumEquations(b, notation) {
  const n = NOTATIONS[notation];
  const last = b.count - 1;
  const sigma = () => node("munderover",
    [op("∑"), row(token("mi", "s"), op("="), token("mn", String(b.t))), token("mn", String(last))]);
  return b.sums.map(({ name, previous, step, sum }) => {
    const w = weightSymbol(n, name);
    const k = sharedExponent(previous, step, sum);
    const left = [sigma(), dL(atStep(w, "s"))];
    if (b.t === 0) left.push(op("="), dL(symbolMath(w)));
    const before = b.t === last ? [token("mn", "0")] : [tensor(previous, { name: `sum_prev:${name}`, exponent: k })];
    return equation(`gradient of ${name}, summed over steps ${b.t} to ${last}`, left,
      [...before, op("+"), tensor(step, { name: `step:${name}`, exponent: k })],
      [tensor(sum, { name: `sum:${name}`, exponent: k })]);
  });
}

/**
 * One SGD update of a weight: W − η ∂L/∂W = before − lr · gradient = after.
 * @param {string} name PyTorch name
 * @param {{before: Tensor, change: Tensor, after: Tensor}} numbers `change` = lr · gradient
 * @param {string} notation a key of NOTATIONS
 * @returns {Element}
 */
export function updateEquation(name, { before, change, after }, notation) {
  const w = weightSymbol(NOTATIONS[notation], name);
  const updated = subsup(w[0], w[1], token("mo", "′"));
  return twoLines(`SGD update of ${name}`, [updated],
    [symbolMath(w), op("−"), token("mi", "η"), dL(symbolMath(w))],
    [tensor(before, { name: `before:${name}`, decimals: 4 }), op("−"), tensor(change, { name: `change:${name}` })],
    [tensor(after, { name: `after:${name}`, decimals: 4 })]);
}
