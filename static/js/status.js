/**
 * What a page says about itself: what went wrong (as text, in the page's error box), and
 * whether it shows its latest state. Every page does both through here.
 * Test hooks on <body>: `data-ready` is "true" once the page shows its latest state (drawn, or
 * its error shown); `data-error` is "true" while an error box shows something.
 */
import { ApiError } from "./api.js";

/**
 * Say whether the page shows its latest state (false while it loads, measures or draws). The
 * first time it does, the clicks held since the page opened are applied (boot.js), and the
 * moment is marked in the page's performance timeline (benchmarks/page_speed.py reads it):
 * both as `unrolled:ready`.
 * @param {boolean} ready
 */
export function signalReady(ready) {
  document.body.dataset.ready = String(ready);
  if (!ready || performance.getEntriesByName("unrolled:ready").length > 0) return;
  performance.mark("unrolled:ready");
  document.dispatchEvent(new Event("unrolled:ready"));
}

/** @type {Set<ErrorBox>} the boxes showing something now */
const showing = new Set();

/** A page's error box: one message at a time, as text, naming the field at fault. */
export class ErrorBox {
  /**
   * @param {HTMLElement} box the element that shows it (role="alert", hidden while empty)
   * @param {HTMLElement | null} [stale] the views an error makes stale, dimmed while it shows
   */
  constructor(box, stale = null) {
    this.box = box;
    this.stale = stale;
  }

  /**
   * Show what went wrong. An ApiError's message names the bad field, and `data-field` holds
   * its path ("steps", "model.state_dict"); any other error shows its message.
   * @param {unknown} error an ApiError, another Error, or a message
   * @param {string} [context] what failed, when the page does several things ("Upload: ")
   */
  show(error, context = "") {
    this.box.textContent = context + (error instanceof Error ? error.message : String(error));
    this.box.dataset.field = error instanceof ApiError ? error.field : "";
    this.set(true);
  }

  /** Hide the box: nothing is wrong (any more). */
  clear() {
    this.box.textContent = "";
    delete this.box.dataset.field;
    this.set(false);
  }

  /** @param {boolean} shown */
  set(shown) {
    this.box.hidden = !shown;
    this.stale?.classList.toggle("stale", shown);
    if (shown) showing.add(this);
    else showing.delete(this);
    document.body.dataset.error = String(showing.size > 0);
  }
}
