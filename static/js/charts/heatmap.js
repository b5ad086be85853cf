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
      hovertemplate: "row %{y}, column %{x}: %{z:.4f}<extra></extra>",
      colorbar: { thickness: 14, len: 0.9 },
    };
    const shapes =
      highlightColumn === null
        ? []
        : [
            {
              type: "rect",
              xref: "x",
              yref: "paper",
              x0: highlightColumn - 0.5,
              x1: highlightColumn + 0.5,
              y0: 0,
              y1: 1,
              line: { color: COLOURS.highlight, width: 4 },
            },
          ];
    const layout = {
      height,
      margin: { l: 64, r: 24, t: 12, b: 64 },
      xaxis: { type: "category", title: { text: xTitle }, side: "bottom", fixedrange: true },
      yaxis: { type: "category", title: { text: yTitle }, autorange: "reversed", fixedrange: true },
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
