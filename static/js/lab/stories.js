/**
 * The lab's lecture as guided stories (story.js): each scene sets a lecture preset
 * (settings.js) over the page's defaults, and asks the class to predict the run before the
 * lecturer presses Start. The answers are what these seeded runs do (seed 0; kept true by
 * tests/browser/test_lab_lecture.py, which trains every scene through the API).
 */
import { PRESETS } from "./settings.js";

/**
 * A preset as a scene's state, on the training tab.
 * @param {import("./settings.js").LabPatch} patch
 * @returns {import("../story.js").SceneState}
 */
function preset(patch) {
  /** @type {import("../story.js").SceneState} */
  const state = { mode: "train" };
  for (const [name, value] of Object.entries(patch)) if (value !== undefined) state[name] = value;
  return state;
}

/** @type {import("../story.js").Story[]} */
export const STORIES = [
  {
    id: "memory",
    title: "How far back can a network remember?",
    scenes: [
      {
        narration: "A plain RNN reads a symbol, then 5 random digits, and must name the symbol at the cue: press Start.",
        state: preset({ ...PRESETS["rnn-forgets"], delay: 5 }),
        highlight: "#delay-label",
        question: {
          prompt: "Will the RNN solve it (95 % of held-out sequences right)?",
          choices: ["Yes", "It gets better than chance, but not 95 %", "No better than chance"],
          answer: 0,
          explain: "it reaches 100 % by update 150: over 5 steps the gradient still reaches the symbol.",
        },
      },
      {
        narration: "The same RNN, now with 30 distractors between the symbol and its recall.",
        state: preset(PRESETS["rnn-forgets"]),
        highlight: "#delay-label",
        question: {
          prompt: "Will the RNN recall the symbol 30 steps later better than chance (12.5 %)?",
          choices: ["Yes, it solves it (95 %)", "A little better than chance, far from solved", "No better than chance"],
          answer: 1,
          explain: "it ends at 24 % after 500 updates: the gradient from the recall step fades on its way back " +
            "across 30 steps (the probe chart), so the link is barely learned.",
        },
      },
      {
        narration: "Same task, same 30 steps, same budget: an LSTM, whose cell state carries the symbol.",
        state: preset(PRESETS["lstm-remembers"]),
        highlight: "#cell-label",
        question: {
          prompt: "Will the LSTM solve the 30-step recall in 500 updates?",
          choices: ["Yes", "No, it forgets like the RNN"],
          answer: 0,
          explain: "it reaches 100 % at update 225: the gradient flows back along the cell state (dashed in the probe chart).",
        },
      },
    ],
  },
  {
    id: "exploding",
    title: "Exploding gradients and clipping",
    scenes: [
      {
        narration: "An RNN learns the adding problem with plain SGD at learning rate 1 and no clipping.",
        state: preset(PRESETS.explodes),
        highlight: "#lr",
        question: {
          prompt: "What will the training loss do?",
          choices: ["Fall steadily", "Explode: the run diverges", "Stay flat"],
          answer: 1,
          explain: "the gradient norm grows until the loss is no longer a finite number: the run diverges at update 13.",
        },
      },
      {
        narration: "The same run, with every gradient rescaled to norm 0.1 at most before the step.",
        state: preset(PRESETS.clipped),
        highlight: "#clip",
        question: {
          prompt: "With clipping, will it still diverge?",
          choices: ["Yes", "No: it trains all 300 updates"],
          answer: 1,
          explain: "it trains all 300 updates without diverging; but its held-out error ends above chance: clipping " +
            "stops the explosion, it does not make the steps useful.",
        },
      },
      {
        narration: "The adding problem again, with an LSTM and Adam (and clipping at norm 1).",
        state: preset(PRESETS.adding),
        highlight: "#cell-label",
        question: {
          prompt: "Will it solve the task (mean squared error below 0.04)?",
          choices: ["Yes", "No"],
          answer: 0,
          explain: "it is solved at update 350 and ends near 0.0005, far below chance (0.17).",
        },
      },
    ],
  },
];
