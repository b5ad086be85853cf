/**
 * Step controls: reset, back, play/pause, forward, a scrubber, and the keyboard
 * (← → step, space plays or pauses; ignored while typing in a form field).
 */
import { TIMINGS } from "../config.js";

/**
 * @typedef {{reset: HTMLButtonElement, back: HTMLButtonElement, play: HTMLButtonElement,
 *   forward: HTMLButtonElement, scrubber: HTMLInputElement}} ControlElements
 */

export class StepControls {
  /**
   * @param {ControlElements} elements
   * @param {(step: number) => void} onStep asked to show another step
   */
  constructor(elements, onStep) {
    this.elements = elements;
    this.onStep = onStep;
    this.step = 0;
    this.count = 1;
    /** @type {number | null} */
    this.timer = null;
    elements.reset.addEventListener("click", () => {
      this.pause();
      this.onStep(0);
    });
    elements.back.addEventListener("click", () => this.move(-1));
    elements.forward.addEventListener("click", () => this.move(1));
    elements.play.addEventListener("click", () => this.toggle());
    elements.scrubber.addEventListener("input", () => {
      this.pause();
      this.onStep(Number(elements.scrubber.value));
    });
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
    const { scrubber, back, forward } = this.elements;
    scrubber.max = String(Math.max(count - 1, 0));
    scrubber.value = String(step);
    scrubber.setAttribute("aria-valuetext", `step ${step} of ${count - 1}`);
    back.disabled = step <= 0;
    forward.disabled = step >= count - 1;
    if (this.timer !== null && step >= count - 1) this.pause();
  }

  /**
   * Step by delta (manual steps stop playback).
   * @param {number} delta
   */
  move(delta) {
    this.pause();
    this.onStep(Math.min(Math.max(this.step + delta, 0), this.count - 1));
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
    }, TIMINGS.playInterval);
    this.setPlaying(true);
  }

  /** Stop playback. */
  pause() {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    this.setPlaying(false);
  }

  /**
   * @param {boolean} playing
   */
  setPlaying(playing) {
    const { play } = this.elements;
    play.textContent = playing ? "❚❚ Pause" : "▶ Play";
    play.setAttribute("aria-label", playing ? "Pause" : "Play");
    play.setAttribute("aria-pressed", String(playing));
    document.body.dataset.playing = String(playing);
  }

  /**
   * Keyboard: ← → space, unless the focus is in a text field or select.
   * @param {KeyboardEvent} event
   */
  onKey(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    if (target.closest("input, textarea, select, [contenteditable]") && target !== this.elements.scrubber) {
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowLeft") this.move(-1);
    else if (event.key === "ArrowRight") this.move(1);
    else if (event.key === " " && target.tagName !== "BUTTON") this.toggle();
    else return;
    event.preventDefault();
  }
}
