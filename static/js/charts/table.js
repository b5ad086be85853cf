/**
 * The text alternative of a chart: a data table, plus CSV export of the same numbers.
 */
import { el, formatNumber } from "../dom.js";

/**
 * @typedef {{columns: string[], rows: {label: string, values: (number | null)[]}[],
 *   corner?: string, nullText?: string}} TableData nullText: how a null reads (default —)
 */

/**
 * Decimals shown in table cells, as everywhere on the pages: a compact trace (server/compact.py)
 * rounds each number so that up to 3 decimals are exactly the full number's. `data-value` keeps
 * the number as the page has it.
 */
const TABLE_DECIMALS = 3;

/**
 * Replace the contents of a table with the data.
 * @param {HTMLTableElement} table
 * @param {TableData} data
 */
export function fillTable(table, data) {
  const head = el("thead");
  const headRow = el("tr");
  headRow.append(el("th", { scope: "col" }, data.corner ?? ""));
  for (const column of data.columns) headRow.append(el("th", { scope: "col" }, column));
  head.append(headRow);
  const body = el("tbody");
  for (const row of data.rows) {
    const tr = el("tr");
    tr.append(el("th", { scope: "row" }, row.label));
    for (const value of row.values) {
      const text = value === null && data.nullText !== undefined ? data.nullText : formatNumber(value, TABLE_DECIMALS);
      const td = el("td", {}, text);
      td.dataset.value = value === null ? "null" : String(value);
      tr.append(td);
    }
    body.append(tr);
  }
  table.replaceChildren(head, body);
}

/**
 * The table as CSV text (full precision).
 * @param {TableData} data
 * @returns {string}
 */
export function toCsv(data) {
  const quote = (/** @type {string} */ text) => `"${text.replaceAll('"', '""')}"`;
  const lines = [[data.corner ?? "", ...data.columns].map(quote).join(",")];
  for (const row of data.rows) {
    lines.push([quote(row.label), ...row.values.map((v) => (v === null ? "" : String(v)))].join(","));
  }
  return `${lines.join("\n")}\n`;
}
