/**
 * A run's end judged against chance. charts.js draws the task's chance level on the held-out
 * chart; a run that ends on the wrong side of it learned nothing usable, and the page says so
 * in words, with what in this run may be why.
 */
import { formatNumber } from "../dom.js";
import { higherIsBetter, METRIC_NAMES } from "./charts.js";

/**
 * @typedef {{task: string, cell: string, clip: string, clip_threshold: number, delay?: number,
 *   length?: number}} RunSettings
 * @typedef {{updates: number, clipped: number}} RunCounts updates made, and how many were clipped
 */

/** A plain RNN at this many steps of delay or length is past what it usually bridges. */
const FAR = 20;

/**
 * A score as people read it: accuracy in percent, the rest as numbers.
 * @param {string} metric
 * @param {number} value
 */
function score(metric, value) {
  return metric === "accuracy" ? `${formatNumber(100 * value, 1).replace(/\.0$/, "")} %` : formatNumber(value, 3);
}

/**
 * What in this run may explain why it learned nothing usable.
 * @param {RunSettings} run
 * @param {RunCounts} counts
 */
function why(run, counts) {
  const reasons = [];
  if (run.clip !== "off" && counts.updates > 0 && counts.clipped / counts.updates > 0.5) {
    reasons.push(`${counts.clipped} of its ${counts.updates} updates were clipped at ${run.clip_threshold}: ` +
      "clipping stops an explosion, it does not make the steps useful (try a smaller learning rate, or Adam)");
  }
  const far = run.delay ?? run.length;
  // (A forecast needs only the recent past: the series task's length is not a distance to bridge.)
  if (run.cell === "rnn" && run.task !== "series" && far !== undefined && far >= FAR) {
    const shorter = run.delay === undefined ? "shorter sequences" : "a shorter delay";
    reasons.push(`a plain RNN's gradient fades over the ${far} steps it must bridge (see the probe chart; ` +
      `try an LSTM or a GRU, or ${shorter})`);
  }
  if (reasons.length === 0) reasons.push("try more updates, another learning rate, or a gated cell (LSTM, GRU)");
  return reasons.join("; and ");
}

/**
 * The message for a run whose last held-out score is no better than chance, else null.
 * @param {import("./charts.js").StartTask} task
 * @param {number | null} value the last held-out score
 * @param {RunSettings} run
 * @param {RunCounts} counts
 * @returns {string | null}
 */
export function chanceVerdict(task, value, run, counts) {
  if (value === null || !Number.isFinite(value)) return null;
  const higher = higherIsBetter(task.metric);
  const worse = higher ? value < task.chance : value > task.chance;
  if (!worse) return null;
  const name = METRIC_NAMES[task.metric] ?? task.metric;
  const side = higher ? "below" : "above";
  const note = task.chance_note ? `: ${task.chance_note}` : "";
  return `${name[0].toUpperCase()}${name.slice(1)} ${score(task.metric, value)} is ${side} chance ` +
    `(${score(task.metric, task.chance)}${note}): the network learned nothing usable. Why: ${why(run, counts)}.`;
}
