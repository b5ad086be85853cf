/**
 * A Plotly chart in a <figure>, with a caption, a data table alternative and CSV/PNG/SVG export.
 * The figure is created once with Plotly.newPlot; every later update goes through Plotly.react
 * with a transition, so stepping animates instead of redrawing.
 */
import { COLOURS, SIZES, TIMINGS } from "../config.js";
import { el } from "../dom.js";
import { fillTable, toCsv } from "./table.js";

/* global Plotly */

/**
 * Layout shared by every chart: large fonts, high contrast, tight margins.
 * @param {number} height
 * @returns {object}
 */
export function baseLayout(height) {
  return {
    height,
    margin: { l: 64, r: 24, t: 12, b: 56 },
    font: { size: SIZES.font, color: COLOURS.text, family: "system-ui, sans-serif" },
    paper_bgcolor: COLOURS.background,
    plot_bgcolor: COLOURS.background,
    showlegend: false,
    transition: { duration: TIMINGS.transition, easing: "cubic-in-out" },
  };
}

export class Chart {
  /**
   * @param {HTMLElement} container element the figure is appended to
   * @param {{id: string, title: string, description?: string, height?: number}} options
   */
  constructor(container, { id, title, description, height = SIZES.chartHeight }) {
    this.id = id;
    this.height = height;
    this.figure = el("figure", { class: "chart", id });
    const caption = el("figcaption");
    caption.append(el("span", { class: "chart-title" }, title));
    if (description) caption.append(el("span", { class: "chart-description" }, description));
    /** The Plotly graph div. */
    this.plot = el("div", { class: "plot", role: "img", "aria-label": title });
    this.table = /** @type {HTMLTableElement} */ (el("table", { class: "data-table" }));
    const details = el("details", { class: "chart-data" });
    const csvButton = el("button", { type: "button", class: "link-button" }, "Download CSV");
    csvButton.addEventListener("click", () => this.downloadCsv());
    details.append(el("summary", {}, `${title}: data table`), this.table, csvButton);
    // The table is built when it is opened (and kept current while open): a chart redrawn on
    // every slider tick should not also rebuild hundreds of table cells nobody is reading.
    this.details = details;
    details.addEventListener("toggle", () => this.fillTableIfOpen());
    this.figure.append(caption, this.plot, details);
    container.append(this.figure);
    this.drawn = false;
    /** @type {import("./table.js").TableData | null} */
    this.tableData = null;
    const observer = new ResizeObserver(() => {
      if (this.drawn) Plotly.Plots.resize(this.plot);
    });
    observer.observe(this.plot);
  }

  /**
   * Draw (first call) or update (later calls) the figure and its table.
   * @param {object[]} traces
   * @param {object} layout
   * @param {import("./table.js").TableData} tableData
   * @returns {Promise<void>}
   */
  async render(traces, layout, tableData) {
    this.tableData = tableData;
    this.fillTableIfOpen();
    const fullLayout = { ...baseLayout(this.height), ...layout };
    // One config object for the chart's life: Plotly.react compares it with the last one, and
    // a new object (a new SVG button callback) counts as a change and rebuilds the figure.
    this.plotConfig ??= this.config();
    if (this.drawn) {
      await Plotly.react(this.plot, traces, fullLayout, this.plotConfig);
    } else {
      this.drawn = true;
      await Plotly.newPlot(this.plot, traces, fullLayout, this.plotConfig);
    }
  }

  /** Show the current data in the table when the reader has it open. */
  fillTableIfOpen() {
    if (this.details.open && this.tableData) fillTable(this.table, this.tableData);
  }

  /** Plotly options: PNG and SVG export in the mode bar, no logo. */
  config() {
    return {
      displaylogo: false,
      responsive: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
      toImageButtonOptions: { format: "png", filename: this.id, scale: 2 },
      modeBarButtonsToAdd: [
        {
          name: "Download plot as SVG",
          icon: Plotly.Icons.camera,
          click: (/** @type {HTMLElement} */ gd) =>
            Plotly.downloadImage(gd, { format: "svg", filename: this.id }),
        },
      ],
    };
  }

  /** Save the table as a CSV file. */
  downloadCsv() {
    if (!this.tableData) return;
    const url = URL.createObjectURL(new Blob([toCsv(this.tableData)], { type: "text/csv" }));
    const link = el("a", { href: url, download: `${this.id}.csv` });
    link.click();
    URL.revokeObjectURL(url);
  }
}
