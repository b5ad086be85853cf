/**
 * The /explore part of the lecture as guided stories (story.js). Each scene's state is a set of
 * /explore's URL fields over their defaults (props.js). The numbers the narration and the
 * answers state (units, correlations, probabilities) are what the page computes for these
 * states; tests/browser/test_explore_lecture.py checks each against the API.
 */

/** @type {import("../story.js").Story[]} */
export const STORIES = [
  {
    id: "quote-unit",
    title: "Find the quote unit",
    scenes: [
      {
        narration: "This LSTM read thousands of lines of nested brackets and quoted strings; here it reads one more, coloured by its hidden unit 0.",
        state: { model: "brackets-lstm", focus: "units" },
        highlight: "#text-view",
        question: {
          prompt: "Will any single one of its 64 hidden units track whether we are inside a quote?",
          choices: ["Yes: one unit follows it closely (|r| above 0.8)", "Only loosely (|r| between 0.3 and 0.8)", "No unit follows it (|r| below 0.3)"],
          answer: 0,
          explain: "the Find units panel correlates every unit with “inside quotes” over this text: the best, h 14, has r = −0.85.",
        },
      },
      {
        narration: "Find units ranks every unit by the Pearson correlation of its activation with a feature of the text: inside quotes, bracket depth, position in the line.",
        state: { model: "brackets-lstm", focus: "units" },
        highlight: "#units-list tr[data-feature='in_quotes']",
      },
      {
        narration: "The best unit for “inside quotes”, h 14, now colours the text: compare its colour inside the strings with outside them.",
        state: { model: "brackets-lstm", unit: 14, focus: "units" },
        highlight: "#text-view",
        question: {
          prompt: "Its r is negative (−0.85): inside a quoted string, is h 14 high or low?",
          choices: ["High (purple)", "Low (orange)", "Near zero (white)"],
          answer: 1,
          explain: "h 14 averages −0.51 inside quotes and +0.58 outside: a negative r means the unit falls when the feature rises.",
        },
      },
      {
        narration: "In the heatmap of every hidden unit over time, row 14 is the quote unit; the cursor sits inside the string \"( hh]d) af[ha((\".",
        state: { model: "brackets-lstm", unit: 14, focus: "states", cursor: 12 },
        highlight: "#chart-h",
      },
      {
        narration: "Brackets count too: the cell state c 5 follows how deeply the brackets are nested (brackets inside strings do not count).",
        state: { model: "brackets-lstm", unit: 5, series: "c", focus: "units" },
        highlight: "#units-list tr[data-feature='bracket_depth']",
        question: {
          prompt: "Which state holds the bracket depth best?",
          choices: ["The hidden state h_t", "The LSTM's cell state c_t", "Neither: no unit follows it"],
          answer: 1,
          explain: "the cell state, which the LSTM carries from step to step with few changes: c 5 reaches r = −0.87, the best hidden unit (h 19) r = −0.82.",
        },
      },
    ],
  },
  {
    id: "classify",
    title: "A classifier reads to the end",
    scenes: [
      {
        narration: "A many-to-one GRU reads a surname letter by letter; its readout after every letter is a guess at the language, but only the last one is scored.",
        state: { model: "surnames-gru", text: "Kowalski", cursor: 2, focus: "predictions" },
        highlight: "#chart-classes",
        question: {
          prompt: "After only “Kow”, which language does it find most likely?",
          choices: ["Polish", "English", "German"],
          answer: 1,
          explain: "English, p = 0.839; after “Ko” Polish had led (p = 0.509).",
        },
      },
      {
        narration: "The last letter: the one step whose readout the loss scores.",
        state: { model: "surnames-gru", text: "Kowalski", cursor: 7, focus: "predictions" },
        highlight: "#chart-classes",
        question: {
          prompt: "How sure is it of Polish at the end of “Kowalski”?",
          choices: ["below 50 %", "between 50 and 90 %", "above 90 %"],
          answer: 2,
          explain: "p = 0.941; after “Kowals” it still said English (p = 0.900): the ending decided.",
        },
      },
      {
        narration: "The one loss at the last step sends its gradient back through every letter read before it.",
        state: { model: "surnames-gru", text: "Kowalski", cursor: 0, focus: "gradients" },
        highlight: "#chart-gradients",
        question: {
          prompt: "How much gradient reaches the first letter, “K”, 7 steps before the loss?",
          choices: ["none: exactly 0", "within a factor of 10 of the last letter’s", "less than a thousandth of the last letter’s"],
          answer: 1,
          explain: "‖∂L/∂x‖ is 10^−0.35 at “K” against 10^−0.20 at “i”: over 8 steps this GRU’s gradient has not vanished.",
        },
      },
      {
        narration: "An LSTM that reads reviews: its answer after “the soup was superb”, before the “but”.",
        state: { model: "sentiment-lstm", cursor: 18, focus: "predictions" },
        highlight: "#chart-classes",
        question: {
          prompt: "What does it say after “the soup was superb”?",
          choices: ["positive", "negative"],
          answer: 0,
          explain: "positive, p = 1.000.",
        },
      },
      {
        narration: "The whole review: “the soup was superb but the food was never lovely”.",
        state: { model: "sentiment-lstm", cursor: 48, focus: "predictions" },
        highlight: "#chart-classes",
        question: {
          prompt: "And after the last word?",
          choices: ["positive", "negative"],
          answer: 1,
          explain: "negative, p = 1.000: the clause after “but” decides, and “never” flips “lovely”. Its answers in between swing from class to class: that readout was never trained before the last step.",
        },
      },
    ],
  },
  {
    id: "forecast",
    title: "Predicting the next value",
    scenes: [
      {
        narration: "An LSTM trained on generated series reads a price-like random walk, one number per step; the blue line is its prediction of the next value, made from the true values so far.",
        state: { model: "series-lstm", wave: "walk", wave_seed: 3, cursor: 40, focus: "predictions" },
        highlight: "#chart-series",
        question: {
          prompt: "Its one-step predictions look close. How much better are they than “the next value is this one” (x_{t+1} = x_t)?",
          choices: ["Far better: a tenth of the error", "Only a little better", "Worse"],
          answer: 1,
          explain: "a squared error of 0.021 per step against 0.026 for x_{t+1} = x_t: the walk's random shocks cannot be predicted; the model has learned its drift and its season.",
        },
      },
      {
        narration: "From step 50 on, the orange dashed line runs free: the model reads its own last prediction as its next input, as a forecast of the next month must.",
        state: { model: "series-lstm", wave: "walk", wave_seed: 3, cursor: 70, focus: "predictions" },
        highlight: "#chart-series",
        question: {
          prompt: "Over steps 50 to 99, how does the free-running error compare with the one-step error?",
          choices: ["About the same", "Several times larger", "Smaller"],
          answer: 1,
          explain: "0.139 per step against 0.021: every error is read back in as an input; the forecast keeps the seasonal rhythm but misses every shock.",
        },
      },
      {
        narration: "The same model on a sine wave with the same noise, free running from step 50.",
        state: { model: "series-lstm", wave: "sine", cursor: 70, focus: "predictions" },
        highlight: "#chart-series",
        question: {
          prompt: "Will its free-running forecast keep the wave to the end?",
          choices: ["Yes, close to the series to the end", "It drifts away after a cycle", "It flattens to a constant"],
          answer: 0,
          explain: "a squared error of 0.006 per step free running, against 0.005 one step: a rhythm it has learned, it can continue from its own predictions.",
        },
      },
      {
        narration: "Back to the walk, with the loss of the last prediction alone: its gradient flows back through the whole series.",
        state: { model: "series-lstm", wave: "walk", wave_seed: 3, loss: "last", cursor: 0, focus: "gradients" },
        highlight: "#chart-gradients",
        question: {
          prompt: "How much of that gradient reaches the first value, x_0, 98 steps back?",
          choices: ["About as much as reaches the last input", "A millionth of it or less", "Exactly zero"],
          answer: 1,
          explain: "‖∂L/∂x_t‖ is 10^−9.41 at step 0 against 10^−0.97 at step 98: this LSTM's forget gates let the gradient fade, since a random walk's distant past tells little about its next step.",
        },
      },
    ],
  },
  {
    id: "temperature",
    title: "Temperature",
    scenes: [
      {
        narration: "At temperature 0 the model always writes its most probable next character; the prompt is “Beautiful is”.",
        state: { model: "zen-lstm", generate: 1, prompt: "Beautiful is", length: 120, temperature: 0, cursor: 11 },
        highlight: "#text-view",
        question: {
          prompt: "This LSTM was trained on the Zen of Python. What will it write after “Beautiful is”?",
          choices: ["The Zen of Python, word for word", "New sentences in the Zen's style", "Random letters"],
          answer: 0,
          explain: "it learned the Zen by heart, so always taking the likeliest character recites it from the start.",
        },
      },
      {
        narration: "Temperature divides the logits before the softmax: below 1 the likeliest characters grow likelier still.",
        state: { model: "zen-lstm", generate: 1, prompt: "Beautiful is", length: 120, temperature: 0.5, cursor: 11 },
        highlight: "#text-view",
        question: {
          prompt: "At temperature 0.5 (seed 0), will the 120 characters still be the Zen word for word?",
          choices: ["Yes, the same text as at temperature 0", "Mostly, with a few changed words", "No, mostly new text"],
          answer: 0,
          explain: "the model is so sure of each next character that halving the temperature still samples the likeliest every time here.",
        },
      },
      {
        narration: "At temperature 1 it samples from its own probabilities: the cursor is on its least likely choice, an “s” the model gave p = 0.003 where it expected “g”.",
        state: { model: "zen-lstm", generate: 1, prompt: "Beautiful is", length: 120, temperature: 1, cursor: 37 },
        highlight: "#prediction",
      },
      {
        narration: "At temperature 2 the logits are halved: the distribution flattens, and unlikely characters are sampled far more often.",
        state: { model: "zen-lstm", generate: 1, prompt: "Beautiful is", length: 120, temperature: 2, cursor: 11 },
        highlight: "#text-view",
        question: {
          prompt: "At temperature 2, will the generated text look more or less like the training text?",
          choices: ["More like it", "About the same", "Less like it"],
          answer: 2,
          explain: "the model itself gives the characters sampled at temperature 2 a far lower probability (mean log p −3.0 per character, against −0.23 at temperature 1): most words are no longer English.",
        },
      },
    ],
  },
];
