/**
 * What the lab says while a run or comparison waits its turn on the server, and when the server
 * cannot even queue it. The server trains a few runs at once; a class pressing Start together
 * waits in a first-come, first-served queue, and each stream's `queued` events tell its place
 * and an estimated wait until the run's own events begin. Beyond the queue the server answers
 * 429 with Retry-After.
 *
 * Test hook on <body>: `data-queue` is the place in line (1 = next) while a run or comparison
 * waits, absent otherwise.
 */
import { ApiError } from "../api.js";

/**
 * @typedef {{position: number, waiting: number, slots: number,
 *   estimated_seconds: number | null}} QueuedEvent
 */

/**
 * "1st", "2nd", "3rd", "4th", "11th", "22nd".
 * @param {number} n
 */
export function ordinal(n) {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" })[n % 10] ?? "th";
  return `${n}${suffix}`;
}

/**
 * An estimated wait as people say it: whole seconds (never "0 s": the turn is still to
 * come), whole minutes beyond two.
 * @param {number} seconds
 */
export function waitWords(seconds) {
  const whole = Math.max(1, Math.ceil(seconds));
  return whole < 120 ? `${whole} s` : `${Math.round(whole / 60)} min`;
}

/**
 * "Queued: 3rd in line, about 40 s (the server trains 2 runs at a time)".
 * @param {QueuedEvent} q
 */
export function queuedText(q) {
  const wait = q.estimated_seconds === null ? "" : `, about ${waitWords(q.estimated_seconds)}`;
  const runs = q.slots === 1 ? "one run" : `${q.slots} runs`;
  return `Queued: ${ordinal(q.position)} in line${wait} (the server trains ${runs} at a time)`;
}

/**
 * Show a `queued` event in a status line, and mark the place on <body>.
 * @param {HTMLElement} status
 * @param {QueuedEvent} q
 */
export function showQueued(status, q) {
  status.textContent = queuedText(q);
  document.body.dataset.queue = String(q.position);
}

/** The run's turn has come, or it will not come: the place is no longer shown. */
export function leftQueue() {
  delete document.body.dataset.queue;
}

/**
 * Why a run never started, for its status line (the error box holds the server's message).
 * @param {unknown} error what the request failed with
 * @returns {string}
 */
export function notStartedText(error) {
  if (!(error instanceof ApiError) || error.status !== 429) return "not started";
  const retry = error.retryAfter === null ? "" : `; try again in ${waitWords(error.retryAfter)}`;
  return `not started: the server is training as many runs as it can and its queue is full${retry}`;
}
