/**
 * Step controls, as /hello and /explore show them: first, back, play/pause, forward, last
 * (optional), a scrubber, and the keyboard: ← → and PageUp PageDown (a presenter's clicker)
 * one step, Home End the ends, space plays or pauses. Keys are left alone while the focus is in
 * a text field or a select, and space and Enter to the focused button.
 */

/**
 * @typedef {{first: HTMLButtonElement, back: HTMLButtonElement, play: HTMLButtonElement,
 *   forward: HTMLButtonElement, last?: HTMLButtonElement, scrubber: HTMLInputElement}} StepElements
 */

/** Keys and how far each moves: a step back or forward, or to an end. */
const KEYS = new Map([
  ["ArrowLeft", -1], ["PageUp", -1], ["ArrowRight", 1], ["PageDown", 1], ["Home", -Infinity], ["End", Infinity],
]);

export class StepControls {
  /**
   * @param {StepElements} elements
   * @param {(step: number) => void} onStep asked to show another step
   * @param {number} interval milliseconds per step while playing
   */
  constructor(elements, onStep, interval) {
    this.elements = elements;
    this.onStep = onStep;
    this.interval = interval;
    this.step = 0;
    this.count = 1;
    /** @type {number | null} */
    this.timer = null;
    elements.first.addEventListener("click", () => this.jump(0));
    elements.last?.addEventListener("click", () => this.jump(this.count - 1));
    elements.back.addEventListener("click", () => this.jump(this.step - 1));
    elements.forward.addEventListener("click", () => this.jump(this.step + 1));
    elements.play.addEventListener("click", () => this.toggle());
    elements.scrubber.addEventListener("input", () => this.jump(Number(elements.scrubber.value)));
    document.addEventListener("keydown", (event) => this.onKey(event));
  }

  /**
   * Show the current step and how many there are.
   * @param {number} step
   * @param {number} count
   */
  show(step, count) {
    this.step = step;
    this.count = count;
    const { scrubber, first, back, forward, last } = this.elements;
    scrubber.max = String(Math.max(count - 1, 0));
    scrubber.value = String(step);
    scrubber.setAttribute("aria-valuetext", `step ${step} of ${count - 1}`);
    first.disabled = back.disabled = step <= 0;
    forward.disabled = step >= count - 1;
    if (last) last.disabled = forward.disabled;
    if (this.timer !== null && step >= count - 1) this.pause();
  }

  /**
   * Go to a step, clamped (a manual move stops playback).
   * @param {number} step
   */
  jump(step) {
    this.pause();
    this.onStep(Math.min(Math.max(step, 0), this.count - 1));
  }

  /** Play from the current step (from the start when at the end), or pause. */
  toggle() {
    if (this.timer !== null) {
      this.pause();
      return;
    }
    if (this.step >= this.count - 1) this.onStep(0);
    this.timer = window.setInterval(() => {
      if (this.step >= this.count - 1) this.pause();
      else this.onStep(this.step + 1);
    }, this.interval);
    this.setPlaying(true);
  }

  /** Stop playback. */
  pause() {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    this.setPlaying(false);
  }

  /** @param {boolean} playing */
  setPlaying(playing) {
    const { play } = this.elements;
    play.textContent = playing ? "❚❚ Pause" : "▶ Play";
    play.setAttribute("aria-label", playing ? "Pause" : "Play");
    play.setAttribute("aria-pressed", String(playing));
    document.body.dataset.playing = String(playing);
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    const target = event.target instanceof Element ? event.target : document.body;
    const typing = target.closest("input, textarea, select, [contenteditable]") && target !== this.elements.scrubber;
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    const delta = KEYS.get(event.key);
    if (delta !== undefined) this.jump(this.step + delta);
    else if (event.key === " " && target.tagName !== "BUTTON") this.toggle();
    else return;
    event.preventDefault();
  }
}
