/**
 * Tiny DOM helpers. Text always goes in through textContent, never as HTML.
 */

/**
 * Create an element with attributes and optional text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Create an SVG element with attributes and optional text.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @overload
 * @param {string} id
 * @returns {HTMLElement}
 */
/**
 * @template {HTMLElement} T
 * @overload
 * @param {string} id
 * @param {{new (): T, name: string}} type
 * @returns {T}
 */
/**
 * The page's element with this id, checked to be of the class the script expects (any
 * HTMLElement unless it says which): a template and its script out of step fail here, by
 * name, rather than later as "undefined".
 * @param {string} id
 * @param {{new (): HTMLElement, name: string}} [type]
 * @returns {HTMLElement}
 */
export function byId(id, type = HTMLElement) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return element;
}

/**
 * The page's form control with this id (an input, a select or a textarea): one whose `value`
 * a page reads and writes by name.
 * @param {string} id
 * @returns {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement}
 */
export function formControl(id) {
  const element = document.getElementById(id);
  if (element instanceof HTMLInputElement || element instanceof HTMLSelectElement || element instanceof HTMLTextAreaElement) {
    return element;
  }
  throw new Error(`the page has no form control #${id}`);
}

/**
 * Save bytes or text as a file.
 * @param {BlobPart} content
 * @param {string} type its MIME type
 * @param {string} filename
 */
export function saveFile(content, type, filename) {
  const url = URL.createObjectURL(content instanceof Blob ? content : new Blob([content], { type }));
  el("a", { href: url, download: filename }).click();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * A number written for people: fixed decimals and a true minus sign.
 * @param {number | null} value
 * @param {number} decimals
 * @returns {string}
 */
export function formatNumber(value, decimals) {
  if (value === null) return "—";
  const text = Math.abs(value).toFixed(decimals);
  return value < 0 && Number(text) !== 0 ? `\u2212${text}` : text;
}

/**
 * A character shown visibly even when it is whitespace.
 * @param {string} char
 * @returns {string}
 */
export function showChar(char) {
  if (char === " ") return "␣";
  if (char === "\n") return "⏎";
  return char;
}
