/**
 * A chart that grows while a run streams: `reset` draws the empty series once per run (one
 * Plotly.newPlot for the chart's life, Plotly.react after), `append` adds points with
 * Plotly.extendTraces, never rebuilding the figure. The data table alternative reads the same
 * columns; it is filled when opened and refreshed at most once a second while open.
 */
import { Chart } from "../charts/chart.js";
import { fillTable } from "../charts/table.js";
import { LAB } from "../config.js";

/**
 * @typedef {{name: string, line?: object, marker?: object, mode?: string, hovertemplate?: string}} SeriesStyle
 */

export class LiveChart extends Chart {
  /**
   * @param {HTMLElement} container
   * @param {{id: string, title: string, description?: string, height?: number, xLabel: string}} options
   */
  constructor(container, options) {
    super(container, options);
    this.xLabel = options.xLabel;
    /** @type {SeriesStyle[]} */
    this.series = [];
    /** @type {number[][]} x values of each series */
    this.xs = [];
    /** @type {(number | null)[][]} y values of each series */
    this.ys = [];
    this.tableFilledAt = 0;
  }

  /**
   * Start again with empty series.
   * @param {SeriesStyle[]} series one trace each
   * @param {object} layout axes, shapes, annotations
   * @returns {Promise<void>}
   */
  reset(series, layout) {
    this.series = series;
    this.xs = series.map(() => []);
    this.ys = series.map(() => []);
    const traces = series.map((s) => ({ type: "scatter", mode: "lines", connectgaps: false, ...s, x: [], y: [] }));
    return this.render(traces, { transition: undefined, ...layout }, this.tableOf());
  }

  /**
   * Add points to some series. Arrays are shared with Plotly, so they are copied in.
   * @param {Array<{x: number[], y: (number | null)[]}>} points one entry per series (same order)
   */
  append(points) {
    /** @type {number[]} */
    const indices = [];
    /** @type {number[][]} */
    const x = [];
    /** @type {(number | null)[][]} */
    const y = [];
    points.forEach((p, k) => {
      if (p.x.length === 0) return;
      this.xs[k].push(...p.x);
      this.ys[k].push(...p.y);
      indices.push(k);
      x.push(p.x);
      y.push(p.y);
    });
    if (indices.length === 0) return;
    Plotly.extendTraces(this.plot, { x, y }, indices);
    if (performance.now() - this.tableFilledAt > LAB.tableRefresh) this.fillTableIfOpen();
  }

  /** Show the current points in the table when the reader has it open. */
  fillTableIfOpen() {
    if (!this.details.open) return;
    this.tableFilledAt = performance.now();
    fillTable(this.table, this.tableOf());
  }

  /** Save the current points as CSV. */
  downloadCsv() {
    this.tableData = this.tableOf();
    super.downloadCsv();
  }

  /**
   * The table: one row per x value, one column per series (blank where a series has no point).
   * @returns {import("../charts/table.js").TableData}
   */
  tableOf() {
    /** @type {Map<number, (number | null)[]>} */
    const rows = new Map();
    this.xs.forEach((xs, k) => {
      xs.forEach((x, i) => {
        const row = rows.get(x) ?? this.series.map(() => null);
        row[k] = this.ys[k][i];
        rows.set(x, row);
      });
    });
    return {
      corner: this.xLabel,
      columns: this.series.map((s) => s.name),
      rows: [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([x, values]) => ({ label: String(x), values })),
    };
  }
}
