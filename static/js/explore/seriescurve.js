/**
 * A series model's forecast against the series: the actual x_t, the one-step prediction of
 * x_{t+1} made at step t (drawn at t + 1), and the free-running forecast from step k, which
 * reads its own predictions after x_{k−1}. Drawn once per trace; the cursor is an overlay.
 */
import { COLOURS, FORECAST_COLOURS } from "../config.js";
import { formatNumber } from "../dom.js";
import { StepChart } from "./overlay.js";

const { actual: ACTUAL, oneStep: ONE_STEP, free: FREE } = FORECAST_COLOURS;

export class SeriesCurve extends StepChart {
  /**
   * @param {{values: number[][], predictions: number[][], forecast: {start: number, values: number[][]} | null}} data
   *   values (T, 1) x_t; predictions (T, 1) y_t ~ x_{t+1}; forecast (T − k, 1) of x_k .. x_{T−1}
   */
  async draw({ values, predictions, forecast }) {
    const steps = values.length;
    const x = values.map((_, t) => t);
    const lines = steps <= 120 ? "lines+markers" : "lines";
    /** @type {object[]} */
    const traces = [
      {
        type: "scatter", mode: lines, name: "actual x_t", x, y: values.map((row) => row[0]),
        line: { color: ACTUAL, width: 2 }, marker: { size: 5 },
        hovertemplate: "x_%{x} = %{y:.4f}<extra>actual</extra>",
      },
      {
        type: "scatter", mode: lines, name: "one-step prediction", x: predictions.map((_, t) => t + 1),
        y: predictions.map((row) => row[0]), line: { color: ONE_STEP, width: 2 }, marker: { size: 4 },
        hovertemplate: "predicted x_%{x} = %{y:.4f}<extra>one step</extra>",
      },
    ];
    /** @type {object[]} */
    const shapes = [];
    if (forecast && forecast.values.length > 0) {
      traces.push({
        type: "scatter", mode: lines, name: `free running from step ${forecast.start}`,
        x: forecast.values.map((_, j) => forecast.start + j), y: forecast.values.map((row) => row[0]),
        line: { color: FREE, width: 3, dash: "dash" }, marker: { size: 4 },
        hovertemplate: "forecast x_%{x} = %{y:.4f}<extra>free running</extra>",
      });
      shapes.push({
        type: "line", x0: forecast.start - 0.5, x1: forecast.start - 0.5, yref: "paper", y0: 0, y1: 1,
        line: { color: FREE, width: 1.5, dash: "dot" },
      });
    }
    const layout = {
      showlegend: true,
      legend: { orientation: "h", yanchor: "bottom", y: 1.02, x: 0 },
      margin: { l: 56, r: 12, t: 64, b: 52 },
      shapes,
      xaxis: { range: [-0.5, steps + 0.5], title: { text: "step t" }, fixedrange: true, zeroline: false },
      yaxis: { title: { text: "value" }, gridcolor: COLOURS.grid, fixedrange: true, zeroline: true },
    };
    const free = forecast ? forecast.start : steps;
    const table = {
      corner: "series \\ step",
      columns: x.map(String),
      rows: [
        { label: "actual x_t", values: values.map((row) => row[0]) },
        { label: "one-step prediction of x_t", values: x.map((t) => (t > 0 ? predictions[t - 1][0] : null)) },
        {
          label: "free-running forecast of x_t",
          values: x.map((t) => (forecast && t >= free ? forecast.values[t - free][0] : null)),
        },
      ],
    };
    await this.drawSteps(traces, layout, table);
  }
}

/**
 * The sentence under the chart at step t: what the model read, predicted, and the truth.
 * @param {{values: number[][], predictions: number[][], loss: (number | null)[],
 *   forecast: {start: number, values: number[][]} | null}} data
 * @param {number} t
 */
export function describeSeriesStep({ values, predictions, loss, forecast }, t) {
  const y = predictions[t][0];
  let text = `Step ${t}: reads x_${t} = ${formatNumber(values[t][0], 3)} and predicts ` +
    `x_${t + 1} = ${formatNumber(y, 3)}`;
  if (t + 1 < values.length) {
    text += `; the actual x_${t + 1} is ${formatNumber(values[t + 1][0], 3)} ` +
      `(squared error ${formatNumber(loss[t] ?? 0, 3)})`;
  } else {
    text += "; the series ends here";
  }
  if (forecast && t + 1 >= forecast.start && t + 1 - forecast.start < forecast.values.length) {
    const free = forecast.values[t + 1 - forecast.start][0];
    text += `. Free running from step ${forecast.start}, reading its own predictions, it forecasts ` +
      `x_${t + 1} = ${formatNumber(free, 3)}`;
  }
  return `${text}.`;
}
