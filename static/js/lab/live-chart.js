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
    /** @type {object} the axes, shapes and annotations of the run */
    this.layout = {};
    /** Whether the run's series are drawn (`append` may then extend them). */
    this.shown = false;
    /** Whether points came before they were (drawn with them). */
    this.behind = false;
    /** Resets so far: a drawing finished for an older run is not this one's. */
    this.runs = 0;
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
    this.layout = { transition: undefined, ...layout };
    // Points that arrive before the empty series are drawn (Plotly may still be loading) are
    // kept, and drawn all at once when it is.
    this.shown = false;
    this.behind = false;
    const run = ++this.runs;
    return this.render(this.traces(), this.layout, this.tableOf()).then(() => {
      if (run !== this.runs) return; // a newer run's reset came meanwhile
      this.shown = true;
      if (this.behind) this.render(this.traces(), this.layout, this.tableOf());
    });
  }

  /** The series as Plotly traces, with copies of the points so far. */
  traces() {
    return this.series.map((s, k) => ({
      type: "scatter", mode: "lines", connectgaps: false, ...s, x: [...this.xs[k]], y: [...this.ys[k]],
    }));
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
    if (!this.shown) {
      this.behind = true;
      return;
    }
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
