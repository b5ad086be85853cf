/**
 * The lecture's arc on "hello" as stories (story.js): the forward pass step by step, then
 * backpropagation through time from the last step to the first, then SGD updates, and the
 * LSTM's cell state. Each scene's state is a set of the page's URL fields (main.js's PROPS);
 * the page's defaults (hello-rnn on "hello", forward, step 0, η = 1, no update) fill the rest.
 * The numbers in the narration and the answers are the hello-rnn and hello-lstm models' own
 * (GET /api/trace); tests/browser/test_hello_lecture.py checks them against the API.
 */

/** @typedef {import("../story.js").Story} Story */

/** @type {Story} */
const FORWARD = {
  id: "forward",
  title: "Forward: reading “hello”",
  scenes: [
    {
      narration: "The RNN reads “h”, computes its hidden state h₀ from x₀ and h₋₁ = 0, and predicts the next character: “e”.",
      state: { step: 0 },
      highlight: "#prediction",
    },
    {
      narration: "It reads “e”: h₁ mixes the new input with h₀, what it keeps of “h”, and it predicts “l”.",
      state: { step: 1 },
      highlight: "#equations math[alttext='hidden state']",
      question: {
        prompt: "After “hel”, which letter does the RNN predict?",
        choices: ["h", "e", "l", "o"],
        answer: 2,
        explain: "“l” with p = 0.9987: after “hel” comes the second “l” of “hello”.",
      },
    },
    {
      narration: "After “hel” it predicts “l”, the second l of “hello”.",
      state: { step: 2 },
      highlight: ".diagram-step[data-step='2']",
      question: {
        prompt: "The next input is “l” again. Will the RNN predict “l” again?",
        choices: ["Yes, “l” again", "No, another letter"],
        answer: 1,
        explain: "it predicts “o” (p = 0.9989): h₃ remembers that an “l” came already, so the same input gives another prediction.",
      },
    },
    {
      narration: "The same input “l”, another prediction, “o”: the hidden state carries the difference between “hel” and “hell”.",
      state: { step: 3 },
      highlight: ".diagram-step[data-step='3']",
    },
    {
      narration: "The last input “o” has no target: from “hell” the RNN predicted “ello”, right at every step.",
      state: { step: 4 },
      highlight: "#diagram",
    },
  ],
};

/** @type {Story} */
const BACKWARD = {
  id: "bptt",
  title: "Backpropagation through time",
  scenes: [
    {
      narration: "The backward pass runs from the last step to the first; at t = 4 “o” has no target, so there is no loss to send back.",
      state: { phase: "backward", step: 4 },
      highlight: "#diagram",
    },
    {
      narration: "At t = 3 the error at the output is ∂L₃/∂y₃ = p₃ − onehot(“o”): the probabilities minus the target's one-hot.",
      state: { phase: "backward", step: 3 },
      highlight: "#backward-equations math[alttext='output gradient']",
    },
    {
      narration: "∂L/∂h₂ is the sum of two terms: what comes from this step's output, and what comes back from step 3.",
      state: { phase: "backward", step: 2 },
      highlight: "#backward-equations math[alttext='hidden state gradient']",
    },
    {
      narration: "The local derivative 1 − h₂² of the tanh carries ∂L/∂h₂ to the pre-activation a₂.",
      state: { phase: "backward", step: 2 },
      highlight: "#backward-equations math[alttext='local derivative']",
    },
    {
      narration: "Step 1's term of W_hh's gradient is ∂L/∂a₁ h₀ᵀ; the same weights act at every step, so their gradients add up.",
      state: { phase: "backward", step: 1 },
      highlight: "#backward-equations math[alttext=\"step t's term of the recurrent weights' gradient\"], #gradient-sums",
      question: {
        prompt: "At t = 0, will ‖∂L/∂h₀‖ be bigger or smaller than ‖∂L/∂h₃‖ = 0.006511?",
        choices: ["Bigger: it collects the losses of every later step", "Smaller", "About the same"],
        answer: 1,
        explain: "‖∂L/∂h₀‖ = 0.002797, less than half: each step back goes through 1 − h², near 0 where the tanh saturates.",
      },
    },
    {
      narration: "At t = 0 the running sums are complete: each is the whole gradient ∂L/∂W, every step's term added up.",
      state: { phase: "backward", step: 0 },
      highlight: "#gradient-sums, .dh-norm",
    },
  ],
};

/** @type {Story} */
const UPDATE = {
  id: "update",
  title: "The update: one SGD step",
  scenes: [
    {
      narration: "One SGD step moves every weight against its whole gradient, W′ = W − η ∂L/∂W, here with the learning rate η = 1.",
      state: { phase: "backward", step: 0 },
      highlight: "#sgd .sgd-controls",
      question: {
        prompt: "Will the loss on “hello” go down after one step?",
        choices: ["Yes", "No, it goes up", "It stays exactly the same"],
        answer: 0,
        explain: "a small step downhill lowers it a little: 0.003305 → 0.003289.",
      },
    },
    {
      narration: "After one step the loss on “hello” goes from 0.003305 to 0.003289: a small η, a small change.",
      state: { phase: "backward", step: 0, sgd: 1 },
      highlight: "#sgd-result .sgd-loss",
    },
    {
      narration: "Each further step starts from the updated weights and their new gradient: three steps bring the loss to 0.003256.",
      state: { phase: "backward", step: 0, sgd: 3 },
      highlight: "#sgd-result .sgd-history",
    },
    {
      narration: "A hundred times larger learning rate, η = 100, lowers the loss much faster: 0.003305 → 0.002033 in one step.",
      state: { phase: "backward", step: 0, lr: 100, sgd: 1 },
      highlight: "#sgd-result .sgd-loss",
      question: {
        prompt: "Will a second step with η = 100 lower the loss again?",
        choices: ["Yes", "No"],
        answer: 1,
        explain: "it overshoots: 0.002033 → 0.02517, more than ten times higher.",
      },
    },
    {
      narration: "The second step overshoots and the loss jumps to 0.02517: too large a learning rate makes the loss climb.",
      state: { phase: "backward", step: 0, lr: 100, sgd: 2 },
      highlight: "#sgd-result .sgd-history",
    },
  ],
};

/** @type {Story} */
const LSTM = {
  id: "lstm",
  title: "The LSTM's cell state",
  scenes: [
    {
      narration: "The LSTM keeps a second state, the cell state cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ gₜ: the forget gate keeps part of the old one, the input gate adds new content.",
      state: { model: "hello-lstm", step: 1 },
      highlight: "#equations math[alttext='cell state']",
    },
    {
      narration: "hₜ = oₜ ⊙ tanh(cₜ): the output gate chooses what of the cell state the readout sees; after “hell” it predicts “o” too.",
      state: { model: "hello-lstm", step: 3 },
      highlight: "#equations math[alttext='hidden state']",
    },
    {
      narration: "Going backward, ∂L/∂cₜ adds what comes through hₜ and what comes back along the cell state from cₜ₊₁, scaled by the forget gate fₜ₊₁.",
      state: { model: "hello-lstm", phase: "backward", step: 1 },
      highlight: "#backward-equations math[alttext='cell state gradient']",
    },
  ],
};

/** The page's stories, in the lecture's order. */
export const STORIES = [FORWARD, BACKWARD, UPDATE, LSTM];
