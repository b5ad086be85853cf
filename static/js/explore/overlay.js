/**
 * Marks drawn over a Plotly chart as plain positioned elements: the time cursor (a column
 * band) and the selected unit (a row band). Moving a mark is one style write, so the cursor
 * moves without redrawing the chart; the axis mapping is read again whenever Plotly redraws
 * (new data, resize). `StepChart` is a chart over a trace's steps with that cursor.
 */
import { Chart } from "../charts/chart.js";
import { el } from "../dom.js";

export class PlotOverlay {
  /**
   * Wrap a chart's plot element so marks can sit on top of it.
   * @param {import("../charts/chart.js").Chart} chart
   */
  constructor(chart) {
    this.plot = chart.plot;
    const wrap = el("div", { class: "plot-wrap" });
    chart.plot.replaceWith(wrap);
    wrap.append(chart.plot);
    this.column = el("div", { class: "mark-column", "aria-hidden": "true", hidden: "" });
    this.row = el("div", { class: "mark-row", "aria-hidden": "true", hidden: "" });
    wrap.append(this.column, this.row);
    /** Plot area in pixels and the axis ranges, from Plotly's last layout. */
    this.box = { left: 0, top: 0, width: 0, height: 0, x0: 0, x1: 1, y0: 0, y1: 1 };
    /** @type {number | null} */
    this.x = null;
    /** @type {number | null} */
    this.y = null;
    this.listening = false;
  }

  /** Read the axis mapping after Plotly drew the chart (call after every newPlot/react). */
  measure() {
    const layout = this.plot._fullLayout;
    if (!layout || !layout._size) return;
    if (!this.listening) {
      this.plot.on("plotly_afterplot", () => this.measure());
      this.listening = true;
    }
    const size = layout._size;
    const [x0, x1] = layout.xaxis.range;
    const [y0, y1] = layout.yaxis.range;
    this.box = { left: size.l, top: size.t, width: size.w, height: size.h, x0, x1, y0, y1 };
    const { height, width, top, left } = this.box;
    Object.assign(this.column.style, { top: `${top}px`, height: `${height}px`, left: "0px" });
    Object.assign(this.row.style, { left: `${left}px`, width: `${width}px`, top: "0px" });
    this.setColumn(this.x);
    this.setRow(this.y);
  }

  /**
   * Mark the column [x − ½, x + ½] in data units (null hides it).
   * @param {number | null} x
   */
  setColumn(x) {
    this.x = x;
    this.column.hidden = x === null;
    if (x === null) return;
    const { left, width, x0, x1 } = this.box;
    const scale = width / (x1 - x0);
    const band = Math.max(scale, 2);
    this.column.style.width = `${band}px`;
    this.column.style.transform = `translateX(${left + (x - x0) * scale - band / 2}px)`;
  }

  /**
   * Mark the row [y − ½, y + ½] in data units (null hides it).
   * @param {number | null} y
   */
  setRow(y) {
    this.y = y;
    this.row.hidden = y === null;
    if (y === null) return;
    const { top, height, y0, y1 } = this.box;
    // Plotly's range is [bottom, top] (reversed axes too); pixels grow downwards from the top.
    const pixelsPerUnit = height / Math.abs(y1 - y0);
    const band = Math.max(pixelsPerUnit, 2);
    this.row.style.height = `${band}px`;
    this.row.style.transform = `translateY(${top + ((y1 - y) / (y1 - y0)) * height - band / 2}px)`;
  }
}

/**
 * A Plotly chart over the steps of a trace with the time cursor as an overlay column: a click
 * on a point moves the cursor to its step. GradientCurve and ClassCurve draw on it.
 */
export class StepChart extends Chart {
  /**
   * @param {HTMLElement} container
   * @param {import("../charts/chart.js").ChartOptions} options
   * @param {(step: number) => void} onPick called with the step of a clicked point
   */
  constructor(container, options, onPick) {
    super(container, options);
    this.overlay = new PlotOverlay(this);
    this.onPick = onPick;
    this.clickBound = false;
  }

  /**
   * Draw, then listen for clicks (once) and read the axes for the cursor column.
   * @param {object[]} traces
   * @param {object} layout
   * @param {import("../charts/table.js").TableData} table
   */
  async drawSteps(traces, layout, table) {
    await this.render(traces, layout, table);
    if (!this.clickBound) {
      this.plot.on("plotly_click", (event) => this.onPick(Number(event.points[0].x)));
      this.clickBound = true;
    }
    this.overlay.measure();
  }

  /** @param {number} t */
  setCursor(t) {
    this.overlay.setColumn(t);
  }
}
