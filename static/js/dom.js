/**
 * Tiny DOM helpers. Text always goes in through textContent, never as HTML.
 */

/**
 * Create an element with attributes and optional text.
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
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
