/**
 * The series task's forecast on its probe series, x_0 … x_T: the actual values (grey), the
 * model's one-step forecasts (each having read the actual values up to the step before) and its
 * free-running forecast from step k on (dashed; it reads its own forecasts after k, so its
 * errors feed back), with a line at k. Drawn from a probe or snapshot event's `forecast`
 * (models/training.py `forecast`) with Plotly.react after the first drawing.
 */
import { Chart } from "../charts/chart.js";
import { FORECAST_COLOURS } from "../config.js";

/**
 * @typedef {{actual: (number | null)[], one_step: (number | null)[],
 *   free_running: (number | null)[], start: number}} Forecast a probe event's `forecast`
 */

/** Line styles, in the forecast colours of config.js. */
const STYLE = {
  actual: { color: FORECAST_COLOURS.actual, width: 5 },
  oneStep: { color: FORECAST_COLOURS.oneStep, width: 3 },
  free: { color: FORECAST_COLOURS.free, width: 3, dash: "dash" },
  start: FORECAST_COLOURS.start,
};

/** Below this width (px) the legend and the marker's label are shortened (a phone). */
const NARROW = 520;

/**
 * The chart, created once per page.
 * @param {HTMLElement} container
 * @param {{id: string, title: string, height?: number}} options
 */
export function createForecastChart(container, { id, title, height = 380 }) {
  return new Chart(container, {
    id, title, height,
    description: "grey: the series; blue: each next value forecast from the actual values before it; " +
      "orange, dashed: the model left to run on its own forecasts from step k",
  });
}

/**
 * Draw a forecast made at `update`.
 * @param {Chart} chart
 * @param {Forecast} forecast
 * @param {number} update
 * @returns {Promise<void>}
 */
export function drawForecast(chart, forecast, update) {
  const { actual, one_step: oneStep, free_running: free, start } = forecast;
  const steps = actual.map((_, t) => t); // x_0 … x_T
  const ahead = oneStep.map((_, t) => t + 1); // y_t forecasts x_{t+1}
  const freeSteps = free.map((_, j) => start + j); // x_k … x_T
  const narrow = chart.plot.clientWidth < NARROW;
  const traces = [
    {
      type: "scatter", mode: "lines", name: "series x_t", x: steps, y: actual, line: STYLE.actual,
      hovertemplate: "x_%{x} = %{y:.3f}<extra></extra>",
    },
    {
      type: "scatter", mode: "lines", name: narrow ? "one step ahead" : `one step ahead (update ${update})`,
      x: ahead, y: oneStep, line: STYLE.oneStep,
      hovertemplate: "forecast of x_%{x} from x_0 … x_(t−1): %{y:.3f}<extra></extra>",
    },
    {
      type: "scatter", mode: "lines", name: narrow ? `free from k = ${start}` : `free-running from k = ${start}`,
      x: freeSteps, y: free, line: STYLE.free,
      hovertemplate: `free-running forecast of x_%{x} (own inputs after ${start}): %{y:.3f}<extra></extra>`,
    },
  ];
  const marker = {
    type: "line", xref: "x", x0: start, x1: start, yref: "paper", y0: 0, y1: 1,
    line: { color: STYLE.start, width: 2, dash: "dot" },
  };
  const label = {
    xref: "x", x: start, xanchor: "left", yref: "paper", y: 1, yanchor: "top", showarrow: false,
    text: narrow ? " k" : " k: on its own from here", font: { color: STYLE.start, size: 15 },
  };
  const values = [...actual, ...oneStep, ...free].filter((v) => v !== null).filter(Number.isFinite);
  const top = Math.max(1.2, ...values.map(Math.abs).filter((v) => v < 10)); // a runaway forecast is clipped
  return chart.render(
    traces,
    {
      transition: undefined,
      showlegend: true,
      legend: { orientation: "h", yref: "container", y: 0, yanchor: "bottom", font: { size: narrow ? 14 : 16 } },
      xaxis: { title: { text: "step t", standoff: 8 }, range: [-0.5, actual.length - 0.5], automargin: true, zeroline: false },
      yaxis: { title: { text: "x_t" }, range: [-1.1 * top, 1.1 * top], zeroline: false },
      shapes: [marker],
      annotations: [label],
      margin: { l: narrow ? 52 : 64, r: 16, t: 12, b: narrow ? 110 : 96 },
    },
    {
      corner: "step t",
      columns: ["series x_t", `one step ahead (update ${update})`, `free-running from k = ${start}`],
      rows: steps.map((t) => ({
        label: String(t),
        values: [actual[t], t >= 1 ? oneStep[t - 1] : null, t >= start ? free[t - start] : null],
      })),
      nullText: "",
    },
  );
}

/**
 * A series as the text /explore reads for a series model: its values, 4 decimals (ASCII minus),
 * comma-separated.
 * @param {number[]} values
 */
export function seriesText(values) {
  return values.map((v) => v.toFixed(4)).join(", ");
}
