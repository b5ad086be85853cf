/**
 * The /lab page's state, declared once with types and defaults and mirrored in the URL (the
 * seed too, so a shared link reproduces the run), the lecture's presets, and the requests
 * built from the state.
 */

/**
 * Every control of the page. `delay` and `length` left empty mean "the task's default"
 * (GET /api/train/tasks); the page writes the number it uses back into the URL.
 */
export const LAB_PROPS = /** @type {const} */ ([
  { name: "mode", type: "string", default: "train" },
  { name: "pace", type: "string", default: "live" }, // "live", or updates shown per second (pace.js)
  { name: "task", type: "string", default: "recall" },
  { name: "corpus", type: "string", default: "zen" },
  { name: "series", type: "string", default: "sine" }, // the series task's kind (GET /api/train/tasks)
  { name: "delay", type: "int", default: "" },
  { name: "length", type: "int", default: "" },
  { name: "cell", type: "string", default: "lstm" },
  { name: "hidden_size", type: "int", default: 32 },
  { name: "num_layers", type: "int", default: 1 },
  { name: "nonlinearity", type: "string", default: "tanh" },
  { name: "lstm_init", type: "string", default: "chrono" },
  { name: "optimizer", type: "string", default: "adam" },
  { name: "lr", type: "float", default: 0.01 },
  { name: "clip", type: "string", default: "norm" },
  { name: "clip_threshold", type: "float", default: 1.0 },
  { name: "steps", type: "int", default: 500 },
  { name: "batch_size", type: "int", default: 32 },
  { name: "seed", type: "int", default: 0 },
  { name: "probe_every", type: "int", default: 25 },
  { name: "snapshot_every", type: "int", default: 50 },
  { name: "compare_task", type: "string", default: "recall" },
  { name: "compare_cells", type: "string", default: "rnn,lstm,gru" },
  { name: "compare_delays", type: "string", default: "5,10,20,50" },
  { name: "compare_seeds", type: "int", default: 2 },
  { name: "compare_steps", type: "int", default: 600 },
  { name: "compare_hidden_size", type: "int", default: 32 },
  { name: "compare_lr", type: "float", default: 0.02 },
]);

/**
 * @typedef {import("../state.js").Values<typeof LAB_PROPS>} LabValues
 * @typedef {import("../state.js").Patch<typeof LAB_PROPS>} LabPatch
 */

/** The training controls (form field id = state name = request field). */
export const TRAIN_FIELDS = /** @type {const} */ ([
  "task", "corpus", "series", "delay", "length", "cell", "hidden_size", "num_layers", "nonlinearity",
  "lstm_init", "optimizer", "lr", "clip", "clip_threshold", "steps", "batch_size", "seed", "probe_every",
  "snapshot_every",
]);

/** The comparison controls, apart from the cell checkboxes. */
export const COMPARE_FIELDS = /** @type {const} */ ([
  "compare_task", "compare_delays", "compare_seeds", "compare_steps", "compare_hidden_size", "compare_lr",
]);

/**
 * The lecture's settings (a preset button applies one over the current state; a story scene
 * over the page's defaults, stories.js). Measured with seed 0 (tests/browser/test_lab_lecture.py
 * keeps these true): "explodes" diverges at update 13; "clipped" trains all 300 updates
 * without diverging but ends no better than chance; at D = 30 the RNN ends at 24 % accuracy
 * (chance 12.5 %) while the LSTM reaches 100 %; "forecast" halves the persistence forecast's
 * error (0.40) at update 60 and ends at 0.057 (tests/browser/test_lab_series.py).
 */
/** @type {Record<string, LabPatch>} */
export const PRESETS = {
  explodes: {
    task: "adding", length: 30, cell: "rnn", nonlinearity: "tanh", hidden_size: 32, num_layers: 1,
    optimizer: "sgd", lr: 1, clip: "off", steps: 300, batch_size: 32, seed: 0,
  },
  clipped: {
    task: "adding", length: 30, cell: "rnn", nonlinearity: "tanh", hidden_size: 32, num_layers: 1,
    optimizer: "sgd", lr: 1, clip: "norm", clip_threshold: 0.1, steps: 300, batch_size: 32, seed: 0,
  },
  "rnn-forgets": {
    task: "recall", delay: 30, cell: "rnn", nonlinearity: "tanh", hidden_size: 32, num_layers: 1,
    optimizer: "adam", lr: 0.01, clip: "norm", clip_threshold: 1, steps: 500, batch_size: 32, seed: 0,
  },
  "lstm-remembers": {
    task: "recall", delay: 30, cell: "lstm", lstm_init: "chrono", hidden_size: 32, num_layers: 1,
    optimizer: "adam", lr: 0.01, clip: "norm", clip_threshold: 1, steps: 500, batch_size: 32, seed: 0,
  },
  adding: {
    task: "adding", length: 30, cell: "lstm", lstm_init: "chrono", hidden_size: 32, num_layers: 1,
    optimizer: "adam", lr: 0.01, clip: "norm", clip_threshold: 1, steps: 800, batch_size: 32, seed: 0,
  },
  hello: {
    task: "hello", cell: "rnn", nonlinearity: "tanh", hidden_size: 3, num_layers: 1,
    optimizer: "adam", lr: 0.05, clip: "off", steps: 200, batch_size: 1, seed: 0,
  },
  forecast: {
    task: "series", series: "square", length: 60, cell: "gru", hidden_size: 16, num_layers: 1,
    optimizer: "adam", lr: 0.01, clip: "norm", clip_threshold: 1, steps: 300, batch_size: 32, seed: 0,
    probe_every: 10,
  },
};

/**
 * @typedef {{name: "delay" | "length", default: number, minimum: number, maximum?: number,
 *   meaning: string}} TaskParameter the one number a task takes
 * @typedef {{name: string, title: string, description: string, parameter: TaskParameter | null,
 *   metric: string, threshold: number, chance: number, character_model: boolean}} TaskInfo
 * @typedef {{task: string, cell: string, hidden_size: number, num_layers: number, nonlinearity: string,
 *   lstm_init: string, optimizer: string, lr: number, clip: string, clip_threshold: number, steps: number,
 *   batch_size: number, seed: number, probe_every: number, snapshot_every: number, corpus?: string,
 *   series?: string, delay?: number, length?: number}} TrainRequest the POST /api/train body
 */

/**
 * The comparison fields of the state, named as in POST /api/train/compare.
 * @type {Record<string, string>}
 */
const COMPARE_NAMES = {
  compare_task: "task", compare_cells: "cells", compare_delays: "delays", compare_seeds: "seeds",
  compare_steps: "steps", compare_hidden_size: "hidden_size", compare_lr: "lr",
};

/**
 * The server's comparison defaults (sized to end in about a minute on a 2-core machine) as a
 * state patch, for the fields the URL does not set.
 * @param {Record<string, number | string | (number | string)[]>} defaults GET /api/train/tasks'
 *   `compare_defaults`
 * @param {URLSearchParams} params the page's query
 * @returns {LabPatch}
 */
export function compareDefaults(defaults, params) {
  /** @type {Record<string, string | number>} */
  const patch = {};
  for (const [field, name] of Object.entries(COMPARE_NAMES)) {
    if (params.has(field) || defaults[name] === undefined) continue;
    const value = defaults[name];
    patch[field] = Array.isArray(value) ? value.join(",") : value;
  }
  return patch;
}

/**
 * The POST /api/train body for the state: only the parameter the task takes is sent.
 * @param {LabValues} v the state's values
 * @param {TaskInfo | undefined} task
 * @returns {TrainRequest}
 */
export function trainRequest(v, task) {
  /** @type {TrainRequest} */
  const body = {
    task: v.task, cell: v.cell, hidden_size: Number(v.hidden_size), num_layers: Number(v.num_layers),
    nonlinearity: v.nonlinearity, lstm_init: v.lstm_init, optimizer: v.optimizer, lr: Number(v.lr), clip: v.clip,
    clip_threshold: Number(v.clip_threshold), steps: Number(v.steps), batch_size: Number(v.batch_size),
    seed: Number(v.seed), probe_every: Number(v.probe_every), snapshot_every: Number(v.snapshot_every),
  };
  if (v.task === "corpus") body.corpus = v.corpus;
  if (v.task === "series") body.series = v.series;
  const parameter = task?.parameter;
  if (parameter && v[parameter.name] !== "") body[parameter.name] = Number(v[parameter.name]);
  return body;
}

/**
 * The numbers of a comma-separated list ("5, 10, 20" → [5, 10, 20]).
 * @param {string} text
 * @returns {number[]}
 */
function parseList(text) {
  return text.split(/[\s,;]+/).filter(Boolean).map(Number);
}

/**
 * The POST /api/train/compare body for the state.
 * @param {LabValues} v
 * @returns {import("./compare.js").CompareRequest}
 */
export function compareRequest(v) {
  return {
    task: v.compare_task,
    cells: v.compare_cells.split(",").filter(Boolean),
    delays: parseList(v.compare_delays),
    seeds: Number(v.compare_seeds),
    steps: Number(v.compare_steps),
    hidden_size: Number(v.compare_hidden_size),
    lr: Number(v.compare_lr),
  };
}
