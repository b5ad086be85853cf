/**
 * Per-step gradient norms on a log scale: log10 ‖∂L/∂h_t‖ of the chosen layer (and ‖∂L/∂c_t‖
 * for the LSTM) and ‖∂L/∂x_t‖ of the input, drawn once per trace; the cursor is an overlay.
 * The API sends log10 values, exact far below float64's 1e-308; null means exactly zero and
 * is drawn as such (a cross on the "exactly 0" line), never as a tiny number.
 */
import { CATEGORICAL, COLOURS } from "../config.js";
import { StepChart } from "./overlay.js";

/** @type {Record<string, string>} */
const SUPERSCRIPTS = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/**
 * A norm given as its log10, written m × 10^e (or "exactly 0" for null).
 * @param {number | null} log10
 * @returns {string}
 */
export function formatLog10(log10) {
  if (log10 === null) return "exactly 0";
  let exponent = Math.floor(log10);
  let mantissa = 10 ** (log10 - exponent);
  if (mantissa >= 9.995) {
    mantissa /= 10;
    exponent += 1;
  }
  const power = String(exponent).replace(/[-0-9]/g, (d) => SUPERSCRIPTS[d]);
  return `${mantissa.toFixed(2)} × 10${power}`;
}

/**
 * Tick values (whole powers of ten) and their labels for a range of log10 values.
 * @param {number} low
 * @param {number} high
 * @returns {{tickvals: number[], ticktext: string[]}}
 */
function powerTicks(low, high) {
  const span = Math.max(high - low, 1);
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500].find((s) => span / s <= 7) ?? 1000;
  const tickvals = [];
  for (let k = Math.ceil(low / step) * step; k <= high; k += step) tickvals.push(k);
  return { tickvals, ticktext: tickvals.map((k) => `10<sup>${k}</sup>`) };
}

/**
 * @typedef {{name: string, values: (number | null)[]}} NormSeries log10 norms per step
 */

export class GradientCurve extends StepChart {
  /**
   * @param {NormSeries[]} series
   */
  async draw(series) {
    const finite = series.flatMap((s) => s.values.filter((v) => v !== null));
    const high = finite.length ? Math.max(...finite) : 0;
    const low = finite.length ? Math.min(...finite) : -1;
    const pad = Math.max((high - low) * 0.08, 0.5);
    const zeroLine = low - 2 * pad; // where exactly-zero norms are drawn
    const steps = series[0].values.length;
    const x = Array.from({ length: steps }, (_, t) => t);
    const traces = series.flatMap((s, k) => {
      const colour = CATEGORICAL[k % CATEGORICAL.length];
      const zeros = x.filter((t) => s.values[t] === null);
      const line = {
        type: "scatter",
        mode: steps <= 60 ? "lines+markers" : "lines",
        name: s.name,
        x,
        y: s.values,
        connectgaps: false,
        line: { color: colour, width: 2.5 },
        hovertemplate: `${s.name} at step %{x}: 10<sup>%{y:.2f}</sup><extra></extra>`,
      };
      if (zeros.length === 0) return [line];
      return [line, {
        type: "scatter",
        mode: "markers",
        name: `${s.name} exactly 0`,
        showlegend: false,
        x: zeros,
        y: zeros.map(() => zeroLine),
        marker: { symbol: "x-thin", size: 10, line: { width: 2, color: colour } },
        hovertemplate: `${s.name} at step %{x}: exactly 0<extra></extra>`,
      }];
    });
    const ticks = powerTicks(low, high);
    const hasZeros = traces.length > series.length;
    const layout = {
      showlegend: true,
      legend: { orientation: "h", yanchor: "bottom", y: 1.02, x: 0 },
      margin: { l: 112, r: 12, t: 48, b: 56 },
      xaxis: { range: [-0.5, steps - 0.5], title: { text: "step t" }, fixedrange: true, zeroline: false },
      yaxis: {
        range: [hasZeros ? zeroLine - pad : low - pad, high + pad],
        tickvals: hasZeros ? [zeroLine, ...ticks.tickvals] : ticks.tickvals,
        ticktext: hasZeros ? ["exactly 0", ...ticks.ticktext] : ticks.ticktext,
        title: { text: "norm (log scale)" },
        gridcolor: COLOURS.grid,
        zeroline: false,
        fixedrange: true,
      },
      transition: undefined,
    };
    const table = {
      corner: "log10 norm \\ step",
      columns: x.map(String),
      rows: series.map((s) => ({ label: `log10 ${s.name}`, values: s.values })),
    };
    await this.drawSteps(traces, layout, table);
  }
}
