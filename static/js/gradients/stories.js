/**
 * The lecture on /gradients as guided stories (story.js). Each scene's state is its changes to
 * the page's defaults (main.js applies them over DEFAULTS, so every scene is complete).
 *
 * Every number a question's reveal quotes is what POST /api/explore measures for that scene's
 * state (tests/browser/test_gradients_lecture.py checks each one, and which choice is right):
 * change a state and the test says which sentence no longer holds.
 */

/** The France sentence, cut where the loss sits: the guess of the F of "French". */
export const FRANCE_TEXT = "I grew up in France. I went to school there and lived there for many years. I speak fluent F";

/** @type {import("../story.js").Story[]} */
export const STORIES = [
  {
    id: "vanish-explode",
    title: "Vanishing, saturating, exploding",
    scenes: [
      {
        narration: "An RNN whose W_hh has σmax = 0.5: each step back multiplies the gradient by at most 0.5, so the dashed bound falls as 0.5^d.",
        state: { cells: "rnn", init: "orthogonal", gain: 0.5 },
        highlight: "#gradient-chart",
        question: {
          prompt: "Will the gradient 50 steps back be bigger or smaller than 10^−10?",
          choices: ["bigger", "smaller"],
          answer: 1,
          explain: "0.5^50 ≈ 10^−15, and the page measures ‖∂L/∂h‖ = 10^−15.7 at d = 50.",
        },
      },
      {
        narration: "Large weights, σmax = 2, with tanh: the bound now grows as 2^d — does the gradient explode?",
        state: { cells: "rnn", init: "orthogonal", gain: 2, hidden_size: 8 },
        highlight: "#summary",
        question: {
          prompt: "199 steps back, will the gradient be above or below 1?",
          choices: ["above 1: it explodes", "below 1: it vanishes"],
          answer: 1,
          explain: "measured × 0.905 per step, not × 2: 10^−8.8 at d = 199, where the bound reaches 10^59.7. "
            + "Large weights drive tanh into saturation, where f′ = 1 − tanh² → 0, and a saturated unit passes almost no gradient back.",
        },
      },
      {
        narration: "Swap tanh for ReLU on an identity W_hh scaled to 1.2: an active ReLU has f′ = 1 exactly, so nothing damps the growth.",
        state: { cells: "rnn", init: "identity", gain: 1.2, nonlinearity: "relu" },
        highlight: "#gradient-chart",
        question: {
          prompt: "How big is the gradient 199 steps back?",
          choices: ["below 10^−10", "between 10^−10 and 10^10", "above 10^10"],
          answer: 2,
          explain: "10^15.5, measured × 1.20 per step: the bound 1.2^d, met almost exactly.",
        },
      },
      {
        narration: "An exploding gradient makes a huge update: clip it by its norm, or entry by entry to ±5.",
        state: { cells: "rnn", init: "identity", gain: 1.2, nonlinearity: "relu" },
        highlight: "#clipping",
        question: {
          prompt: "After element-wise clipping to ±5, does the update still point the way the raw gradient did?",
          choices: ["yes, the same direction", "no, it turns"],
          answer: 1,
          explain: "cosine 0.5466 between the clipped and the raw update, with 85.5 % of the entries clipped. "
            + "Norm clipping scales ‖g‖ = 10^17.9 down to 1 and keeps the direction (cosine 1).",
        },
      },
      {
        narration: "On the edge: identity W_hh, ReLU and σ = 1 exactly (Le et al. 2015's IRNN), over 500 steps.",
        state: { cells: "rnn", steps: 500, init: "identity", nonlinearity: "relu" },
        highlight: "#gradient-chart",
        question: {
          prompt: "499 steps back, the gradient has…",
          choices: ["vanished (below 10^−10)", "stayed within a factor of 10 of its start", "exploded (above 10^10)"],
          answer: 1,
          explain: "10^−0.5 at d = 499 against 10^−0.1 at the loss: × 0.999 per step.",
        },
      },
    ],
  },
  {
    id: "lstm-france",
    title: "The LSTM remembers France",
    scenes: [
      {
        narration: "The LSTM's cell state goes back through the forget gates alone, ∂c_T/∂c_t = Π f: a forget bias of 5 keeps each f near σ(5) ≈ 0.99.",
        state: { cells: "rnn,lstm", steps: 300, scale: "none", forget_bias: 5 },
        highlight: "#gradient-chart",
        question: {
          prompt: "The RNN's gradient vanishes. How much of the LSTM's is left 299 steps back?",
          choices: ["below 10^−10, like the RNN's", "more than 10^−2"],
          answer: 1,
          explain: "10^−0.7, against the RNN's 10^−67.8; the product of forget gates Π f is still 10^−0.4 there: the constant error carousel.",
        },
      },
      {
        narration: "The same LSTM with a forget bias of −2: each f is near σ(−2) ≈ 0.12, and the carousel has to carry the gradient through them.",
        state: { cells: "rnn,lstm", steps: 300, scale: "none", forget_bias: -2 },
        highlight: "#gradient-chart",
        question: {
          prompt: "Does the LSTM still keep its gradient 299 steps back?",
          choices: ["yes, more than 10^−2", "no, it vanishes"],
          answer: 1,
          explain: "10^−173.6, below even the RNN's 10^−67.8: Π f falls to 10^−269.4. The carousel carries only what the forget gate keeps.",
        },
      },
      {
        narration: "“I grew up in France … I speak fluent F”: the loss is the guess of that F, and “France”, the evidence for it, is marked on the distance axis.",
        state: { cells: "rnn,lstm", input: "text", text: FRANCE_TEXT, init: "orthogonal", gain: 0.9, forget_bias: 5 },
        highlight: "#gradient-chart",
        question: {
          prompt: "How much of the RNN's gradient reaches “France”?",
          choices: ["more than 10^−2", "between 10^−4 and 10^−2", "less than 10^−4"],
          answer: 2,
          explain: "10^−5.2 to 10^−4.9 across the word, so the RNN hardly learns that France matters; the LSTM keeps 10^−0.7 to 10^−0.6.",
        },
      },
      {
        narration: "Gers & Schmidhuber’s peephole LSTM: its gates also see the cell state (i and f see c_{t−1}, o sees c_t, through diagonal weights w_c). Here beside the plain LSTM, both with a forget bias of 5.",
        state: { cells: "lstm,peephole", steps: 300, scale: "none", forget_bias: 5 },
        highlight: "#gradient-chart",
        question: {
          prompt: "How much of the peephole LSTM’s gradient is left 299 steps back?",
          choices: ["below 10^−10: the peepholes break the carousel", "more than 10^−2, as for the plain LSTM"],
          answer: 1,
          explain: "10^−1.8, against the plain LSTM’s 10^−0.7; its Π f is still 10^−0.2. The peepholes change what the gates see (timing, counting), not the forget-gate path the gradient takes.",
        },
      },
    ],
  },
];
