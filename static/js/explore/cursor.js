/**
 * The time cursor's controls: first, back, play/pause, forward, last, a scrubber, and the
 * keyboard (← → one step, Home End the ends, space plays or pauses; ignored while typing).
 */
import { EXPLORE } from "../config.js";

/**
 * @typedef {{first: HTMLButtonElement, back: HTMLButtonElement, play: HTMLButtonElement,
 *   forward: HTMLButtonElement, last: HTMLButtonElement, scrubber: HTMLInputElement}} CursorElements
 */

export class CursorControls {
  /**
   * @param {CursorElements} elements
   * @param {(step: number) => void} onMove asked to move the cursor to a step
   */
  constructor(elements, onMove) {
    this.elements = elements;
    this.onMove = onMove;
    this.step = 0;
    this.count = 1;
    /** @type {number | null} */
    this.timer = null;
    elements.first.addEventListener("click", () => this.jump(0));
    elements.last.addEventListener("click", () => this.jump(this.count - 1));
    elements.back.addEventListener("click", () => this.move(-1));
    elements.forward.addEventListener("click", () => this.move(1));
    elements.play.addEventListener("click", () => this.toggle());
    elements.scrubber.addEventListener("input", () => this.jump(Number(elements.scrubber.value)));
    document.addEventListener("keydown", (event) => this.onKey(event));
  }

  /**
   * Show where the cursor is and how many steps there are.
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
    forward.disabled = last.disabled = step >= count - 1;
    if (this.timer !== null && step >= count - 1) this.pause();
  }

  /**
   * Go to a step (manual moves stop playback).
   * @param {number} step
   */
  jump(step) {
    this.pause();
    this.onMove(Math.min(Math.max(step, 0), this.count - 1));
  }

  /** @param {number} delta */
  move(delta) {
    this.jump(this.step + delta);
  }

  /** Play from the cursor (from the start when at the end), or pause. */
  toggle() {
    if (this.timer !== null) {
      this.pause();
      return;
    }
    if (this.step >= this.count - 1) this.onMove(0);
    this.timer = window.setInterval(() => {
      if (this.step >= this.count - 1) this.pause();
      else this.onMove(this.step + 1);
    }, EXPLORE.playInterval);
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

  /**
   * Keyboard: ← → Home End space, unless the focus is in a text field, a select or a button
   * (space and Enter press buttons).
   * @param {KeyboardEvent} event
   */
  onKey(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const typing = target.closest("input, textarea, select, [contenteditable]") && target !== this.elements.scrubber;
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowLeft") this.move(-1);
    else if (event.key === "ArrowRight") this.move(1);
    else if (event.key === "Home") this.jump(0);
    else if (event.key === "End") this.jump(this.count - 1);
    else if (event.key === " " && target.tagName !== "BUTTON") this.toggle();
    else return;
    event.preventDefault();
  }
}
