/**
 * The text, one <span> per character, with the time cursor and a colour per character
 * (a unit's activation, or the connectivity at the cursor). Characters are written with
 * textContent, never as HTML. Repainting touches only the characters whose colour changed.
 */
import { el, showChar } from "../dom.js";

/** Text on a background darker than this relative luminance is drawn white, else near-black
 * (whatever the theme's own ink: a pale cell under the dark theme's light text is unreadable). */
const DARK_BACKGROUND = 0.36;

/** @type {Map<string, string>} text colour of each background met so far */
const textColours = new Map();

/**
 * Readable text colour on an "rgb(r, g, b)" background.
 * @param {string} background
 * @returns {string}
 */
function textOn(background) {
  let colour = textColours.get(background);
  if (colour === undefined) {
    colour = luminance(background) < DARK_BACKGROUND ? "#ffffff" : "#111111";
    textColours.set(background, colour);
  }
  return colour;
}

/**
 * Relative luminance (WCAG) of an "rgb(r, g, b)" colour.
 * @param {string} background
 * @returns {number}
 */
function luminance(background) {
  const [r, g, b] = (background.match(/\d+/g) ?? ["255", "255", "255"]).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * @typedef {{background: string, value: string, title?: string}} Paint
 *   `background` "" = none; `value` is kept in data-value (full precision, or "" for none)
 */

export class TextView {
  /**
   * @param {HTMLElement} container
   * @param {(step: number) => void} onSelect called when a character is clicked
   */
  constructor(container, onSelect) {
    this.container = container;
    /** @type {HTMLElement[]} */
    this.spans = [];
    /** @type {string[]} background of each span as last painted */
    this.backgrounds = [];
    this.cursor = -1;
    container.addEventListener("click", (event) => {
      const span = event.target instanceof Element ? event.target.closest("[data-t]") : null;
      if (span instanceof HTMLElement && container.contains(span)) onSelect(Number(span.dataset.t));
    });
  }

  /**
   * Lay out a new text.
   * @param {string[]} tokens one character per step, or (`words`) one word per step
   * @param {boolean} words the tokens are words: a space between each two
   */
  build(tokens, words = false) {
    /** @type {Node[]} */
    const nodes = [];
    this.spans = tokens.map((char, t) => {
      const span = el("span", { class: words ? "char word" : "char", "data-t": String(t) }, showChar(char));
      if (char === " ") span.textContent = " ";
      if (words && t > 0) nodes.push(document.createTextNode(" "));
      nodes.push(span);
      if (char === "\n") nodes.push(el("br"));
      return span;
    });
    this.backgrounds = tokens.map(() => "");
    this.cursor = -1;
    this.container.replaceChildren(...nodes);
  }

  /**
   * Move the cursor mark (two class changes).
   * @param {number} t
   */
  setCursor(t) {
    if (t === this.cursor) return;
    this.spans[this.cursor]?.classList.remove("cursor");
    this.spans[t]?.classList.add("cursor");
    this.spans[t]?.setAttribute("aria-current", "step");
    this.spans[this.cursor]?.removeAttribute("aria-current");
    this.cursor = t;
  }

  /**
   * Colour the characters; only those whose paint changed are touched.
   * @param {(t: number) => Paint} paintOf
   */
  paint(paintOf) {
    for (let t = 0; t < this.spans.length; t += 1) {
      const { background, value, title } = paintOf(t);
      const span = this.spans[t];
      if (background !== this.backgrounds[t]) {
        this.backgrounds[t] = background;
        span.style.backgroundColor = background;
        span.style.color = background ? textOn(background) : "";
      }
      if (span.dataset.value !== value) span.dataset.value = value;
      if (title !== undefined && span.title !== title) span.title = title;
    }
  }
}
