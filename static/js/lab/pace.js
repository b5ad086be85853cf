/**
 * Lecture pace. A /lab run computes in 0.4–3.5 s, too fast to talk over; at a lecture pace the
 * server still trains at full speed, and the page buffers the streamed events and hands them
 * on at a chosen number of updates per second, so the charts grow while the lecturer speaks.
 * `skip()` hands on the rest at once. At the "live" pace every event passes straight through.
 *
 * An event belongs to the update it names (`update`); a progress event covering several
 * updates (`first_update` … `update`) is handed on in slices, update by update.
 */

/** The paces offered: "live", or updates shown per second. */
export const PACES = [
  { value: "live", label: "live" },
  { value: "10", label: "10/s" },
  { value: "25", label: "25/s" },
  { value: "50", label: "50/s" },
];

/** ms between two hand-ons at a lecture pace */
const TICK = 50;

/**
 * Updates per second of a pace, 0 for live (or an unknown pace).
 * @param {string} pace
 */
export function paceRate(pace) {
  const rate = Number(pace);
  return Number.isFinite(rate) && rate > 0 ? rate : 0;
}

/**
 * The part of a progress event up to update `last`, and the rest (null when none is left).
 * @param {import("./training.js").ProgressEvent} p
 * @param {number} last
 * @param {number} rate updates per second: the time left is the time to show them
 * @param {number} steps the run's updates
 * @returns {[import("./training.js").ProgressEvent, import("./training.js").ProgressEvent | null]}
 */
export function splitProgress(p, last, rate, steps) {
  const first = p.first_update ?? p.update;
  const losses = p.losses ?? [p.loss];
  const norms = p.grad_norms ?? [p.grad_norm];
  const flags = p.clipped_flags ?? [p.clipped];
  const count = Math.max(0, Math.min(last, p.update) - first + 1);
  /**
   * @param {number} from index into the lists
   * @param {number} to index past the end
   * @returns {import("./training.js").ProgressEvent}
   */
  const slice = (from, to) => {
    const update = first + to - 1;
    return {
      ...p, first_update: first + from, update, loss: losses[to - 1], grad_norm: norms[to - 1],
      clipped: flags[to - 1], losses: losses.slice(from, to), grad_norms: norms.slice(from, to),
      clipped_flags: flags.slice(from, to), eta: (steps - update) / rate,
    };
  };
  if (count >= losses.length) return [slice(0, losses.length), null];
  return [slice(0, count), slice(count, losses.length)];
}

export class Pacer {
  /** @param {(event: string, data: any) => void} deliver where events go, at the pace */
  constructor(deliver) {
    this.deliver = deliver;
    this.rate = 0;
    /** @type {Array<{event: string, data: any}>} events received and not handed on yet */
    this.queue = [];
    /** the last update that may be shown now */
    this.clock = 0;
    this.tickedAt = 0;
    this.timer = 0;
    this.steps = 0;
    /** @type {(() => void) | null} resolves `drained()` */
    this.onDrained = null;
  }

  /**
   * Start a run's events at `rate` updates per second (0: live).
   * @param {number} rate
   */
  begin(rate) {
    this.cancel();
    this.rate = rate;
    this.clock = 0;
  }

  /** Whether events are waiting to be shown. */
  get behind() {
    return this.queue.length > 0;
  }

  /**
   * An event arrived from the server.
   * @param {string} event
   * @param {any} data
   */
  push(event, data) {
    if (event === "start") this.steps = data.steps;
    if (this.rate === 0) {
      this.deliver(event, data);
      return;
    }
    this.queue.push({ event, data });
    this.release();
    if (this.behind && !this.timer) {
      this.tickedAt = performance.now();
      this.timer = window.setInterval(() => this.tick(), TICK);
    }
  }

  /** The clock moves on by the time since the last tick. */
  tick() {
    const now = performance.now();
    this.clock += (this.rate * (now - this.tickedAt)) / 1000;
    this.tickedAt = now;
    this.release();
  }

  /** Hand on every event whose update has come, in order. */
  release() {
    while (this.queue.length > 0) {
      const head = this.queue[0];
      const update = head.data?.update;
      if (head.event === "progress") {
        const shown = Math.floor(this.clock);
        if ((head.data.first_update ?? head.data.update) > shown) break;
        const [now, later] = splitProgress(head.data, shown, this.rate, this.steps);
        if (later) head.data = later;
        else this.queue.shift();
        this.deliver("progress", now);
        if (later) break;
      } else if (typeof update === "number" && update > this.clock) {
        break;
      } else {
        this.queue.shift();
        this.deliver(head.event, head.data);
      }
    }
    if (!this.behind) this.idle();
  }

  /** Show everything received so far at once, and what arrives from now on as it comes. */
  skip() {
    this.rate = 0;
    this.clock = Infinity;
    const queue = this.queue;
    this.queue = [];
    for (const { event, data } of queue) this.deliver(event, data);
    this.idle();
  }

  /** Drop what is waiting (the run was stopped where it is shown). */
  cancel() {
    this.queue = [];
    this.idle();
  }

  /** Nothing waits: the timer stops, and whoever waits for the end hears of it. */
  idle() {
    window.clearInterval(this.timer);
    this.timer = 0;
    this.onDrained?.();
    this.onDrained = null;
  }

  /** Resolves once every event received has been handed on (at once when live). */
  drained() {
    if (!this.behind) return Promise.resolve();
    return new Promise((resolve) => {
      this.onDrained = () => resolve(undefined);
    });
  }
}
