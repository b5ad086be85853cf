/**
 * Units × time heatmaps (h_t, c_t, each gate): drawn once per trace and layer; the time
 * cursor and the selected unit are overlay marks, so moving them redraws nothing.
 * Click a cell to move the cursor to its step and select its unit.
 */
import { transpose } from "../arrays.js";
import { Chart } from "../charts/chart.js";
import { EXPLORE } from "../config.js";
import { showChar } from "../dom.js";
import { PlotOverlay } from "./overlay.js";

/**
 * @param {number} units
 * @returns {number} chart height in pixels
 */
export function heatmapHeight(units) {
  const { heatmapRowPixels, heatmapMinHeight, heatmapMaxHeight } = EXPLORE;
  return Math.min(Math.max(units * heatmapRowPixels + 70, heatmapMinHeight), heatmapMaxHeight);
}

/**
 * @typedef {{values: number[][], tokens: string[], zRange: [number, number],
 *   colorscale: Array<[number, string]>, name: string}} TimeHeatmapData
 *   `values` (T, H) as the trace gives them; `name` of the quantity, e.g. "h" or "gate f"
 */

export class TimeHeatmap extends Chart {
  /**
   * @param {HTMLElement} container
   * @param {import("../charts/chart.js").ChartOptions} options
   * @param {(step: number, unit: number) => void} onPick
   */
  constructor(container, options, onPick) {
    super(container, options);
    this.overlay = new PlotOverlay(this);
    this.onPick = onPick;
    this.clickBound = false;
  }

  /**
   * Draw the heatmap of a new trace or layer.
   * @param {TimeHeatmapData} data
   */
  async draw({ values, tokens, zRange, colorscale, name }) {
    const z = transpose(values); // (H, T)
    const steps = values.length;
    const units = z.length;
    const trace = {
      type: "heatmap",
      z,
      zmin: zRange[0],
      zmax: zRange[1],
      colorscale,
      hovertemplate: `step %{x}, unit %{y}: ${name} = %{z:.3f}<extra></extra>`,
      colorbar: { thickness: 12, len: 0.95, outlinewidth: 0 },
    };
    const layout = {
      height: heatmapHeight(units),
      margin: { l: 72, r: 12, t: 8, b: 60 },
      xaxis: { range: [-0.5, steps - 0.5], title: { text: "step t" }, showgrid: false, zeroline: false, fixedrange: true },
      yaxis: { range: [units - 0.5, -0.5], title: { text: "unit" }, showgrid: false, zeroline: false, fixedrange: true },
      transition: undefined,
    };
    const table = {
      corner: "unit \\ step",
      columns: tokens.map((char, t) => `${t} ${showChar(char)}`),
      rows: z.map((row, j) => ({ label: `${name} unit ${j}`, values: row })),
    };
    await this.render([trace], layout, table);
    if (!this.clickBound) {
      this.plot.on("plotly_click", (event) => {
        const point = event.points[0];
        this.onPick(Number(point.x), Number(point.y));
      });
      this.clickBound = true;
    }
    this.overlay.measure();
  }

  /** @param {number} t */
  setCursor(t) {
    this.overlay.setColumn(t);
  }

  /** @param {number | null} unit */
  setUnit(unit) {
    this.overlay.setRow(unit);
  }
}
