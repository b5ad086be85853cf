/**
 * The <figure> every chart sits in, Plotly or plain SVG: a caption (title and description),
 * the chart, and its text alternative, a data table (built when opened, kept current while
 * open) with CSV export of the same numbers.
 */
import { el, saveFile } from "../dom.js";
import { fillTable, toCsv } from "./table.js";

export class ChartFigure {
  /**
   * @param {HTMLElement} container element the figure is appended to
   * @param {{id: string, title: string, description?: string}} options
   * @param {Element} chart the chart itself, between the caption and the table
   */
  constructor(container, { id, title, description }, chart) {
    this.id = id;
    this.figure = el("figure", { class: "chart", id });
    this.caption = el("figcaption");
    this.title = el("span", { class: "chart-title" }, title);
    this.caption.append(this.title);
    if (description) this.caption.append(el("span", { class: "chart-description" }, description));
    this.table = el("table", { class: "data-table" });
    this.summary = el("summary", {}, `${title}: data table`);
    this.details = el("details", { class: "chart-data" });
    const csvButton = el("button", { type: "button", class: "link-button" }, "Download CSV");
    csvButton.addEventListener("click", () => this.downloadCsv());
    this.details.append(this.summary, this.table, csvButton);
    // A chart redrawn on every step should not also rebuild table cells nobody is reading.
    this.details.addEventListener("toggle", () => this.fillTableIfOpen());
    this.figure.append(this.caption, chart, this.details);
    container.append(this.figure);
    /** @type {import("./table.js").TableData | null} */
    this.tableData = null;
    /** Whether the chart has been drawn once (export waits for it). */
    this.drawn = false;
  }

  /**
   * Name the chart anew: its caption (title and description), its table's summary and its
   * accessible name.
   * @param {string} title
   * @param {string} description
   */
  retitle(title, description) {
    const shown = this.caption.querySelector(".chart-description");
    if (shown) shown.textContent = description;
    if (this.title.textContent === title) return;
    this.title.textContent = title;
    this.summary.textContent = `${title}: data table`;
    this.figure.querySelector("[role='img']")?.setAttribute("aria-label", title);
  }

  /** Show the current data in the table when the reader has it open. */
  fillTableIfOpen() {
    if (this.details.open && this.tableData) fillTable(this.table, this.tableData);
  }

  /** Save the table as a CSV file. */
  downloadCsv() {
    if (this.tableData) saveFile(toCsv(this.tableData), "text/csv", `${this.id}.csv`);
  }
}
