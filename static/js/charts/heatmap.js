/**
 * Labelled heatmap of a matrix (weights, states over time), with an optional highlighted
 * column or row (e.g. the column of W_xh that the one-hot x_t selects).
 */
import { COLOURS } from "../config.js";
import { Chart } from "./chart.js";

/**
 * @typedef {{z: number[][], x: string[], y: string[], zRange: [number, number],
 *   colorscale: string | Array<[number, string]>, highlightColumn?: number | null,
 *   xTitle?: string, yTitle?: string, showValues?: boolean, height?: number}} HeatmapData
 */

/** Axis titles a little smaller than the tick labels, so they fit beside a few rows. */
const TITLE_FONT = { size: 16 };

export class Heatmap extends Chart {
  /**
   * @param {HeatmapData} data rows of `z` go with `y` labels (top to bottom), columns with `x`
   * @returns {Promise<void>}
   */
  update({ z, x, y, zRange, colorscale, highlightColumn = null, xTitle = "", yTitle = "",
    showValues = true, height = this.height }) {
    const trace = {
      type: "heatmap",
      z,
      x,
      y,
      zmin: zRange[0],
      zmax: zRange[1],
      colorscale,
      xgap: 2,
      ygap: 2,
      texttemplate: showValues ? "%{z:.2f}" : "",
      textfont: { size: 14 },
      hovertemplate: "row %{y}, column %{x}: %{z:.3f}<extra></extra>",
      colorbar: { thickness: 14, len: 0.9 },
    };
    // The current column: a black outline inside a white one, visible on every colour of
    // the scales (an orange outline vanished on PuOr's orange end).
    const column = (/** @type {string} */ color, /** @type {number} */ width) => ({
      type: "rect", xref: "x", yref: "paper", y0: 0, y1: 1, line: { color, width },
      x0: /** @type {number} */ (highlightColumn) - 0.5, x1: /** @type {number} */ (highlightColumn) + 0.5,
    });
    const shapes = highlightColumn === null ? [] : [column(COLOURS.outlineHalo, 7), column(COLOURS.outline, 3)];
    const layout = {
      height,
      // The margins grow to fit the tick labels and the axis titles (automargin), and a y title
      // longer than a short matrix is tall ("output character" beside four rows) has room
      // above it: both were cut at the figure's edge.
      margin: { l: 64, r: 24, t: 24, b: 64 },
      xaxis: { type: "category", title: { text: xTitle, font: TITLE_FONT }, side: "bottom", fixedrange: true, automargin: true },
      yaxis: { type: "category", title: { text: yTitle, font: TITLE_FONT }, autorange: "reversed", fixedrange: true, automargin: true },
      shapes,
    };
    const table = {
      corner: "",
      columns: x,
      rows: y.map((label, i) => ({ label, values: z[i] })),
    };
    return this.render([trace], layout, table);
  }
}
