/**
 * Bar chart of one or more named vectors over shared labels (hidden units, gates, vocab).
 * One series is coloured by value on a colour scale; several series get one colour each.
 */
import { CATEGORICAL, COLOURS, DECIMALS } from "../config.js";
import { formatNumber } from "../dom.js";
import { Chart } from "./chart.js";
import { colourAt } from "./scale.js";

/**
 * @typedef {{name: string, values: number[], colour?: string}} Series
 * @typedef {{labels: string[], series: Series[], yRange: [number, number],
 *   colorscale?: Array<[number, string]>, outline?: number | null,
 *   colourRange?: [number, number], yTitle?: string, xTitle?: string}} BarData
 */

export class BarChart extends Chart {
  /**
   * @param {BarData} data `outline`: index of a bar to outline (e.g. the target);
   *   `colourRange`: values mapped to the ends of the colour scale (default: the y range)
   * @returns {Promise<void>}
   */
  update({ labels, series, yRange, colorscale, colourRange, outline = null, yTitle = "", xTitle = "" }) {
    const single = series.length === 1;
    const top = Math.max(Math.abs(yRange[0]), Math.abs(yRange[1]));
    const [cmin, cmax] = colourRange ?? (yRange[0] < 0 ? [-top, top] : [0, yRange[1]]);
    /** @param {Series} s @param {number} k */
    const colours = (s, k) =>
      single && colorscale
        ? s.values.map((v) => colourAt(colorscale, v, cmin, cmax))
        : (s.colour ?? CATEGORICAL[k % CATEGORICAL.length]);
    const traces = series.map((s, k) => ({
      type: "bar",
      name: s.name,
      x: labels,
      y: s.values,
      text: s.values.map((v) => formatNumber(v, DECIMALS)),
      textposition: "outside",
      cliponaxis: false,
      hovertemplate: `${s.name} %{x}: %{y:.3f}<extra></extra>`,
      marker: {
        color: colours(s, k),
        line: {
          color: COLOURS.text,
          width: labels.map((_, i) => (i === outline ? 4 : 1)),
        },
      },
    }));
    const layout = {
      showlegend: !single,
      legend: { orientation: "h", y: 1.12, x: 0 },
      margin: { l: 64, r: 24, t: single ? 16 : 44, b: 56 },
      barmode: "group",
      xaxis: { type: "category", title: { text: xTitle }, fixedrange: true },
      yaxis: {
        range: yRange,
        title: { text: yTitle },
        zeroline: true,
        zerolinecolor: COLOURS.text,
        gridcolor: COLOURS.grid,
        fixedrange: true,
      },
    };
    const table = {
      corner: "",
      columns: labels,
      rows: series.map((s) => ({ label: s.name, values: s.values })),
    };
    return this.render(traces, layout, table);
  }
}

/**
 * A y range that holds every value of a set of vectors, padded for the bar labels.
 * @param {number[][]} rows
 * @param {{symmetric?: boolean, min?: number}} [options]
 * @returns {[number, number]}
 */
export function rangeOf(rows, { symmetric = false, min = 0 } = {}) {
  const flat = rows.flat();
  let low = Math.min(0, ...flat);
  let high = Math.max(min, ...flat);
  if (symmetric) {
    high = Math.max(high, -low, min);
    low = -high;
  }
  const pad = 0.18 * (high - low || 1);
  return [low < 0 ? low - pad : low, high + pad];
}
