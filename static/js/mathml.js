/**
 * MathML built with DOM APIs (namespace-correct elements, text through textContent).
 * Browsers render MathML Core natively: no MathJax, no CDN.
 */
import { DECIMALS } from "./config.js";
import { formatNumber } from "./dom.js";

const NS = "http://www.w3.org/1998/Math/MathML";

/**
 * @typedef {Element | string} Child  a string becomes an <mi>
 */

/**
 * A MathML element with children.
 * @param {string} tag
 * @param {Child[]} [children]
 * @param {Record<string, string>} [attrs]
 * @returns {Element}
 */
export function node(tag, children = [], attrs = {}) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const child of children) element.append(typeof child === "string" ? token("mi", child) : child);
  return element;
}

/**
 * A token element (<mi>, <mo>, <mn>, <mtext>) holding text.
 * @param {"mi" | "mo" | "mn" | "mtext"} tag
 * @param {string} text
 * @returns {Element}
 */
export function token(tag, text) {
  const element = document.createElementNS(NS, tag);
  element.textContent = text;
  return element;
}

/** @param {string} text */
export const op = (text) => token("mo", text);

/** @param {...Child} children */
export const row = (...children) => node("mrow", children);

/**
 * A subscripted symbol: sub("W", "hh") is W_hh; sub("h", "t−1") is h_{t−1}.
 * @param {string} base
 * @param {string} subscript
 * @returns {Element}
 */
export function sub(base, subscript) {
  const parts = subscript.split(/([−+])/).filter(Boolean);
  const script = parts.map((p) => (/^[−+]$/.test(p) ? op(p) : /^\d+$/.test(p) ? token("mn", p) : token("mi", p)));
  return node("msub", [token("mi", base), script.length === 1 ? script[0] : row(...script)]);
}

/**
 * A function applied to an argument in brackets: apply("tanh", x).
 * @param {string} name
 * @param {...Child} argument
 * @returns {Element}
 */
export function apply(name, ...argument) {
  return row(token("mi", name), op("\u2061"), op("("), ...argument, op(")"));
}

/**
 * A column vector of numbers (its brackets are drawn by CSS, `mtable.vector`, so they stretch
 * without a math font). `data-values` keeps full precision.
 * @param {number[]} values
 * @param {string} [name] stored as data-name, to find the vector again
 * @returns {Element}
 */
export function vector(values, name) {
  const rows = values.map((v) => node("mtr", [node("mtd", [token("mn", formatNumber(v, DECIMALS))])]));
  const table = node("mtable", rows, { class: "vector" });
  if (name) table.setAttribute("data-name", name);
  table.setAttribute("data-values", JSON.stringify(values));
  return table;
}

/**
 * A display-mode <math> element.
 * @param {string} label accessible description of the equation
 * @param {...Child} children
 * @returns {Element}
 */
export function math(label, ...children) {
  return node("math", children, { display: "block", alttext: label });
}
