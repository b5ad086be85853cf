/**
 * Before a run: would it outlast the server's time limit (`limits.max_seconds`)? The server
 * times a run only once it starts (the start event's `estimated_seconds`), so the page
 * estimates first with a cost model of one update and one measurement, and corrects its scale
 * by the server's own estimate of every run this page has started (the machine's speed).
 *
 * Costs (ms, measured with models.training.estimate_update_seconds on one torch thread):
 * an update ≈ 0.5 + s·T·L + 3e-7·B·T·L·G·H² (s = 0.06, or 0.18 for the peephole LSTM), a measurement (held-out metric and probe)
 * ≈ 5 + 0.5·T·L + 1e-5·T·L·G·H², where T is the sequence length, L the layers, B the batch,
 * H the hidden size and G the cell's gate count. The series task's measurement also runs its
 * forecast, one step at a time for the free-running half: + 0.05·T·L (measured 3 ms at T = 60,
 * H = 32; 6 ms for the peephole LSTM).
 */
import { duration } from "./training.js";

/** @type {Record<string, number>} weight matrices per cell (gates) */
const GATES = { rnn: 1, gru: 3, lstm: 4, peephole: 4 };
/**
 * ms per sequence step of an update: torch.nn's fused cells, or the peephole LSTM's Python loop
 * over steps (models/peephole.py; measured 6.4 ms against the LSTM's 2.1 at T = 32, H = 32)
 * @type {Record<string, number>}
 */
const STEP_MS = { peephole: 0.18 };
const FUSED_STEP_MS = 0.06;
/** The hello task's sequence: "hell" */
const HELLO_STEPS = 4;
/** recall reads the symbol and the cue besides its delay */
const RECALL_EXTRA_STEPS = 2;
/** ms per step and layer of the series task's forecast at each measurement */
const FORECAST_STEP_MS = 0.05;

/** The server's estimate over the model's, for the last run started (1 until one has). */
let scale = 1;

/**
 * Steps of one training sequence.
 * @param {import("./settings.js").TrainRequest} r
 * @param {import("./settings.js").TaskInfo | undefined} task
 */
function sequenceSteps(r, task) {
  if (r.task === "hello") return HELLO_STEPS;
  const value = r.delay ?? r.length ?? task?.parameter?.default ?? 1;
  return r.task === "recall" ? value + RECALL_EXTRA_STEPS : value;
}

/**
 * The updates after which the run measures: 0, every probe or snapshot interval, the last
 * (as models/training.py `measurement_updates`).
 * @param {import("./settings.js").TrainRequest} r
 */
function measurements(r) {
  const at = new Set([0, r.steps]);
  for (const every of [r.probe_every, r.snapshot_every]) {
    for (let k = every; every > 0 && k <= r.steps; k += every) at.add(k);
  }
  return at.size;
}

/**
 * The model's seconds of one update and of the run's measurements.
 * @param {import("./settings.js").TrainRequest} r
 * @param {import("./settings.js").TaskInfo | undefined} task
 * @returns {{update: number, measuring: number}}
 */
function modelSeconds(r, task) {
  const steps = sequenceSteps(r, task) * r.num_layers;
  const weights = (GATES[r.cell] ?? 4) * r.hidden_size ** 2;
  const update = 0.5 + (STEP_MS[r.cell] ?? FUSED_STEP_MS) * steps + 3e-7 * r.batch_size * steps * weights;
  const forecast = r.task === "series" ? FORECAST_STEP_MS * steps : 0;
  const measure = 5 + 0.5 * steps + 1e-5 * steps * weights + forecast;
  return { update: (scale * update) / 1000, measuring: (scale * measure * measurements(r)) / 1000 };
}

/**
 * Seconds the run would take on this server, about.
 * @param {import("./settings.js").TrainRequest} r
 * @param {import("./settings.js").TaskInfo | undefined} task
 */
export function estimateSeconds(r, task) {
  const { update, measuring } = modelSeconds(r, task);
  return r.steps * update + measuring;
}

/**
 * Learn this machine's speed from the server's estimate of a run that started.
 * @param {import("./settings.js").TrainRequest} r
 * @param {import("./settings.js").TaskInfo | undefined} task
 * @param {number | null} serverSeconds the start event's `estimated_seconds`
 */
export function calibrate(r, task, serverSeconds) {
  if (serverSeconds === null || !(serverSeconds > 0)) return;
  const unscaled = estimateSeconds(r, task) / scale;
  if (unscaled > 0) scale = serverSeconds / unscaled;
}

/**
 * What to say beside Start when the run would outlast the time limit, else null.
 * @param {import("./settings.js").TrainRequest} r
 * @param {import("./settings.js").TaskInfo | undefined} task
 * @param {number | undefined} limit the server's `max_seconds`
 * @returns {string | null}
 */
export function overTimeLimit(r, task, limit) {
  if (limit === undefined) return null;
  const seconds = estimateSeconds(r, task);
  if (seconds <= limit) return null;
  const { update, measuring } = modelSeconds(r, task);
  const fit = Math.floor(((limit - measuring * 1.1) / update) * 0.9);
  const fewer = fit >= 1 ? `at most about ${fit} updates` : "fewer updates";
  const longest = r.task === "recall" ? "a shorter delay" : "shorter sequences";
  return `This run would take about ${duration(seconds)}; the server stops a run at ${duration(limit)}, ` +
    `so it would end early. To finish: ${fewer}, a smaller batch or hidden size, fewer layers, or ${longest}.`;
}
