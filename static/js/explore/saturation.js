/**
 * Gate saturation (Karpathy, Johnson & Fei-Fei 2015, figure 3): for every gate unit, the
 * fraction of steps it is left-saturated (< 0.1) against the fraction right-saturated
 * (> 0.9) over the text. Points near the top-left corner are gates almost always open,
 * near the bottom-right almost always closed; the diagonal x + y = 1 is "always saturated".
 */
import { Chart } from "../charts/chart.js";
import { COLOURS, GATE_COLOURS } from "../config.js";

/**
 * @typedef {Record<string, {left: number[], right: number[]}>} Saturation one layer's gates
 */

export class SaturationScatter extends Chart {
  /**
   * @param {HTMLElement} container
   * @param {import("../charts/chart.js").ChartOptions} options
   * @param {(unit: number) => void} onPick called when a point is clicked
   */
  constructor(container, options, onPick) {
    super(container, options);
    this.onPick = onPick;
    this.clickBound = false;
  }

  /**
   * @param {Saturation} saturation
   * @param {number | null} unit the selected unit, ringed in every gate
   */
  async update(saturation, unit) {
    const gates = Object.entries(saturation);
    /** @type {object[]} */
    const traces = gates.map(([gate, { left, right }]) => ({
      type: "scatter",
      mode: "markers",
      name: `gate ${gate}`,
      x: left,
      y: right,
      customdata: left.map((_, j) => j),
      marker: { color: GATE_COLOURS[gate], size: 9, opacity: 0.8 },
      hovertemplate: `gate ${gate}, unit %{customdata}: left %{x:.3f}, right %{y:.3f}<extra></extra>`,
    }));
    if (unit !== null && gates.length > 0) {
      traces.push({
        type: "scatter",
        mode: "markers",
        name: `unit ${unit}`,
        x: gates.map(([, s]) => s.left[unit]),
        y: gates.map(([, s]) => s.right[unit]),
        customdata: gates.map(() => unit),
        marker: { color: "rgba(0,0,0,0)", size: 20, opacity: 1, line: { color: COLOURS.highlight, width: 3 } },
        hovertemplate: `unit ${unit}: left %{x:.3f}, right %{y:.3f}<extra></extra>`,
      });
    }
    const layout = {
      showlegend: true,
      legend: { orientation: "h", yanchor: "bottom", y: 1.02, x: 0 },
      margin: { l: 80, r: 12, t: 48, b: 64 },
      // Two-line titles, tall enough a plot for them, and margins that grow to fit them: the
      // one-line "fraction right-saturated (> 0.9)" ran past both ends of the y axis.
      height: 400,
      xaxis: { range: [-0.03, 1.03], title: { text: "left-saturated<br>(fraction of steps < 0.1)", font: { size: 16 } },
        gridcolor: COLOURS.grid, fixedrange: true, automargin: true },
      yaxis: { range: [-0.03, 1.03], title: { text: "right-saturated<br>(fraction of steps > 0.9)", font: { size: 16 } },
        gridcolor: COLOURS.grid, fixedrange: true, automargin: true },
      shapes: [{ type: "line", x0: 0, y0: 1, x1: 1, y1: 0, line: { color: COLOURS.grid, width: 2, dash: "dot" } }],
      transition: undefined,
    };
    const table = {
      corner: "gate · unit",
      columns: ["left-saturated", "right-saturated"],
      rows: gates.flatMap(([gate, { left, right }]) =>
        left.map((l, j) => ({ label: `${gate} ${j}`, values: [l, right[j]] }))),
    };
    await this.render(traces, layout, table);
    if (!this.clickBound) {
      this.plot.on("plotly_click", (event) =>
        this.onPick(Number(event.points[0].customdata)));
      this.clickBound = true;
    }
  }
}
