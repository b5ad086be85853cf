/**
 * Keep a view live while its controls move faster than it can be measured and drawn.
 *
 * One measurement at a time, always of the state as it is when the measurement starts: a
 * moved control is measured at once (no debounce) and a dragged one ends on its last
 * position, and the server never works on positions already left. One drawing at a time,
 * always of the newest measurement. The two overlap: while one result is drawn, the next
 * state is already being measured, so each frame of a drag costs the longer of request and
 * render instead of their sum.
 *
 * Each half is recorded with the User Timing API as `<name>:request` and `<name>:render`
 * (the latest of each is kept: performance.getEntriesByName), so the browser's profiler and
 * the benchmark can split a redraw into the two.
 */

/**
 * @template T
 */
export class LiveView {
  /**
   * @param {string} name prefix of the performance entries
   * @param {() => Promise<T | null>} measure measures the current state, or resolves to null
   *   when the change moved nothing this view shows; must not reject
   * @param {(result: T) => Promise<void>} show draws one measurement
   * @param {(busy: boolean) => void} onBusy false once the latest state is measured and drawn
   */
  constructor(name, measure, show, onBusy) {
    this.name = name;
    this.measure = measure;
    this.show = show;
    this.onBusy = onBusy;
    this.measuring = false;
    /** The state changed while a measurement was under way: measure again after it. */
    this.changedMeanwhile = false;
    this.drawing = false;
    /** @type {{result: T} | null} the newest measurement, not drawn yet */
    this.undrawn = null;
  }

  /** The state changed: measure it now, or as soon as the running measurement returns. */
  changed() {
    this.onBusy(true);
    if (this.measuring) {
      this.changedMeanwhile = true;
      return;
    }
    this.measureLoop();
  }

  async measureLoop() {
    this.measuring = true;
    do {
      this.changedMeanwhile = false;
      const start = performance.now();
      const result = await this.measure();
      this.record("request", start);
      if (result !== null) {
        this.undrawn = { result }; // an older measurement not drawn yet is skipped
        this.drawLoop();
      }
    } while (this.changedMeanwhile);
    this.measuring = false;
    this.settle();
  }

  async drawLoop() {
    if (this.drawing) return;
    this.drawing = true;
    while (this.undrawn) {
      const { result } = this.undrawn;
      this.undrawn = null;
      const start = performance.now();
      await this.show(result);
      this.record("render", start);
    }
    this.drawing = false;
    this.settle();
  }

  /** Keep one performance entry per half: a long lecture must not pile them up.
   * @param {string} half @param {number} start */
  record(half, start) {
    const entry = `${this.name}:${half}`;
    performance.clearMeasures(entry);
    performance.measure(entry, { start, end: performance.now() });
  }

  settle() {
    if (!this.measuring && !this.drawing && !this.undrawn) this.onBusy(false);
  }
}
