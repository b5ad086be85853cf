/**
 * The charts of one training run: loss and gradient norm per update (log scales), the held-out
 * metric with its threshold and chance lines, and the probe sequence's per-step gradient curve.
 * Curves that grow are LiveCharts (Plotly.extendTraces); the probe curve is redrawn with
 * Plotly.react every time a new probe arrives.
 */
import { Chart } from "../charts/chart.js";
import { LAB } from "../config.js";
import { formatNumber, showChar } from "../dom.js";
import { presenting } from "../present.js";
import { createForecastChart } from "./forecast.js";
import { LiveChart } from "./live-chart.js";

/**
 * @typedef {{name: string, title: string, description: string, metric: string,
 *   threshold: number, chance: number, chance_note?: string, higher_is_better?: boolean}} StartTask
 * @typedef {{inputs: Array<string | number | number[]>, targets?: string[] | number[] | number,
 *   description: string}} Probe
 * @typedef {{update: number, grad_h: (number | null)[][], grad_c: (number | null)[][] | null,
 *   forecast?: import("./forecast.js").Forecast}} ProbeEvent `forecast`: the series task's
 */

/** @type {Record<string, string>} metric names as a reader says them */
export const METRIC_NAMES = { accuracy: "accuracy", bits_per_char: "bits per character", mse: "mean squared error" };

/**
 * Whether a metric is better when higher (accuracy) or lower (bits, MSE).
 * @param {string} metric
 */
export function higherIsBetter(metric) {
  return metric === "accuracy";
}

/**
 * A step's input as a short label: a character (whitespace made visible), a number, or the
 * adding problem's (value, marker) pair as the value, starred when marked.
 * @param {string | number | number[]} input
 * @returns {string}
 */
export function inputLabel(input) {
  if (typeof input === "string") return showChar(input);
  if (Array.isArray(input)) return `${input[1] ? "★" : ""}${formatNumber(input[0], 2)}`;
  return formatNumber(input, 2);
}

/**
 * Tick labels of the steps of a probe: each step's character when the probe is short text,
 * else plain step numbers (Plotly's own ticks).
 * @param {Probe} probe
 * @param {number} most label each step only up to this many steps
 * @returns {object}
 */
function stepTicks(probe, most) {
  const characters = probe.inputs.every((input) => typeof input === "string");
  if (!characters || probe.inputs.length > most) return {};
  return { tickvals: probe.inputs.map((_, t) => t), ticktext: probe.inputs.map(inputLabel), tickangle: 0 };
}

/**
 * A horizontal dashed line across the plot at `y`, labelled.
 * @param {number} y
 * @param {string} colour
 * @param {string} label
 * @param {string} dash
 * @param {boolean} log the y axis is logarithmic (Plotly places annotations at log10(y) there,
 *   shapes at y)
 * @returns {{shape: object, annotation: object}}
 */
function levelLine(y, colour, label, dash, log) {
  return {
    shape: { type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: y, y1: y, line: { color: colour, width: 2, dash } },
    annotation: {
      xref: "paper", x: 1, xanchor: "right", yref: "y", y: log ? Math.log10(y) : y, yanchor: "bottom", text: label,
      showarrow: false, font: { color: colour, size: 15 },
    },
  };
}

/**
 * A y axis for log10 values: ticks at round exponents labelled 10^k, and a range of whole
 * steps around the data, so a curve that moves within one decade still has labelled ticks.
 * @param {(number | null)[][]} series
 * @param {string} title
 * @returns {object}
 */
export function log10Axis(series, title) {
  const finite = series.flat().filter((v) => v !== null).filter(Number.isFinite);
  const low = finite.length ? Math.min(...finite) : -1;
  const high = finite.length ? Math.max(...finite) : 1;
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500].find((s) => Math.max(high - low, 1) / s <= 6) ?? 1000;
  const bottom = Math.floor(low / step) * step;
  const top = Math.max(Math.ceil(high / step) * step, bottom + step);
  const ticks = [];
  for (let v = bottom; v <= top; v += step) ticks.push(v);
  return {
    title: { text: title }, range: [bottom, top], tickvals: ticks,
    ticktext: ticks.map((v) => `10<sup>${formatNumber(v, 0)}</sup>`), zeroline: false,
  };
}

/** px a step's character label needs on the probe chart's x axis */
const TICK_SPACE = 18;

/** Below this width (px) the probe chart's x axis title is the short one (a phone's chart). */
const NARROW = 520;

/**
 * The probe chart's x axis title, short enough for the chart's width.
 * @param {number} width the chart's width in px
 */
export function probeAxisTitle(width) {
  return width < NARROW ? "step t" : "step t of the probe sequence";
}

/** Room on the left for 10^k tick labels beside the axis title. */
const MARGIN = { l: 88, r: 24, t: 12, b: 56 };

/**
 * Create the charts of a run, once (the forecast's is shown for the series task only).
 * @param {{curves: HTMLElement, metric: HTMLElement, probe: HTMLElement, forecast: HTMLElement}} containers
 */
export function createRunCharts({ curves, metric, probe, forecast }) {
  return {
    loss: new LiveChart(curves, {
      id: "loss-chart", title: "Training loss", xLabel: "update",
      description: "on each training batch, log scale", height: 320,
    }),
    norm: new LiveChart(curves, {
      id: "norm-chart", title: "Gradient norm ‖g‖ before clipping", xLabel: "update",
      description: "log scale; orange dots: updates that were clipped", height: 320,
    }),
    metric: new LiveChart(metric, {
      id: "metric-chart", title: "Held-out score", xLabel: "update",
      description: "on sequences never trained on; dashed: solved, dotted: chance", height: 320,
    }),
    probe: new Chart(probe, {
      id: "probe-chart", title: "‖∂L/∂h_t‖ on the probe sequence, at every step t",
      description: "log scale, exact; grey: the first measurement of this run", height: 380,
    }),
    forecast: createForecastChart(forecast, { id: "forecast-chart", title: "Forecast on the probe series" }),
  };
}

/**
 * Empty the loss and gradient-norm charts for a new run.
 * @param {ReturnType<typeof createRunCharts>} charts
 * @param {{clip: string, clip_threshold: number}} request
 * @returns {Promise<unknown>}
 */
export function resetCurves(charts, request) {
  const x = { title: { text: "update" }, rangemode: "tozero" };
  const norm = request.clip === "norm"
    ? levelLine(request.clip_threshold, LAB.threshold, `clip at ${request.clip_threshold}`, "dash", true)
    : null;
  return Promise.all([
    charts.loss.reset(
      [{ name: "loss", line: { color: LAB.loss, width: 3 }, hovertemplate: "update %{x}: %{y:.4g}<extra></extra>" }],
      { xaxis: x, yaxis: { title: { text: "loss" }, type: "log", exponentformat: "power" }, margin: MARGIN },
    ),
    charts.norm.reset(
      [
        { name: "‖g‖", line: { color: LAB.norm, width: 2 }, hovertemplate: "update %{x}: %{y:.4g}<extra></extra>" },
        { name: "clipped", mode: "markers", marker: { color: LAB.clipped, size: 7 },
          hovertemplate: "update %{x} clipped: ‖g‖ = %{y:.4g}<extra></extra>" },
      ],
      {
        xaxis: x, yaxis: { title: { text: "‖g‖" }, type: "log", exponentformat: "power" }, margin: MARGIN,
        shapes: norm ? [norm.shape] : [], annotations: norm ? [norm.annotation] : [],
      },
    ),
  ]);
}

/**
 * The metric's y axis: accuracy from 0 to 1; the mean squared error on a log scale (the adding
 * problem is solved two decades below where it starts); bits per character from 0.
 * @param {string} metric
 * @param {string} title
 * @returns {object}
 */
function metricAxis(metric, title) {
  if (metric === "accuracy") return { title: { text: title }, range: [0, 1.05] };
  // automargin: the title clear of the 10^k tick labels at the presenter view's font size too
  if (metric === "mse") return { title: { text: title }, type: "log", exponentformat: "power", automargin: true }; // see levelLine
  return { title: { text: title }, rangemode: "tozero" };
}

/**
 * Empty the metric chart for a run of `task`, with its threshold and chance lines.
 * @param {LiveChart} chart
 * @param {StartTask} task
 * @returns {Promise<void>}
 */
export function resetMetric(chart, task) {
  const name = METRIC_NAMES[task.metric] ?? task.metric;
  const better = higherIsBetter(task.metric) ? "≥" : "<";
  const log = task.metric === "mse";
  const lines = [
    levelLine(task.threshold, LAB.threshold, `solved: ${better} ${formatNumber(task.threshold, 3)}`, "dash", log),
    levelLine(task.chance, LAB.chance, `chance ${formatNumber(task.chance, 3)}`, "dot", log),
  ];
  return chart.reset(
    [{ name, mode: "lines+markers", line: { color: LAB.metric, width: 3 }, marker: { size: 8 },
      hovertemplate: `update %{x}: ${name} %{y:.4f}<extra></extra>` }],
    {
      xaxis: { title: { text: "update" }, rangemode: "tozero" },
      yaxis: metricAxis(task.metric, name),
      margin: MARGIN,
      shapes: lines.map((l) => l.shape),
      annotations: lines.map((l) => l.annotation),
    },
  );
}

/**
 * Draw the per-step gradient curves of one probe measurement (one line per layer, dashed for
 * the LSTM's cell state), with a reference measurement in grey.
 * @param {Chart} chart
 * @param {Probe} probe
 * @param {ProbeEvent} current
 * @param {ProbeEvent | null} reference e.g. the first probe of the run
 * @param {number} [labelledSteps] write each step's character under it up to this many steps
 * @returns {Promise<void>}
 */
export function drawProbe(chart, probe, current, reference, labelledSteps = 40) {
  const steps = probe.inputs.map((_, t) => t);
  const labels = probe.inputs.map((input, t) => `t = ${t}: ${inputLabel(input)}`);
  const layers = current.grad_h.length;
  /** @param {number} l */
  const layerName = (l) => (layers > 1 ? ` (layer ${l + 1})` : "");
  /** @type {object[]} */
  const traces = [];
  /** @type {{name: string, values: (number | null)[]}[]} */
  const table = [];
  /**
   * @param {(number | null)[]} values
   * @param {string} name
   * @param {object} line
   */
  const add = (values, name, line) => {
    traces.push({
      type: "scatter", mode: "lines+markers", name, x: steps, y: values, line, marker: { size: 5 },
      customdata: labels, hovertemplate: `${name}<br>%{customdata}: 10^%{y:.2f}<extra></extra>`,
    });
    table.push({ name, values });
  };
  if (reference && reference.update !== current.update) {
    reference.grad_h.forEach((values, l) => add(values, `‖∂L/∂h‖ at update ${reference.update}${layerName(l)}`,
      { color: LAB.reference, width: 2, dash: "dot" }));
  }
  current.grad_h.forEach((values, l) => add(values, `‖∂L/∂h‖ at update ${current.update}${layerName(l)}`,
    { color: LAB.layers[l % LAB.layers.length], width: 4 }));
  (current.grad_c ?? []).forEach((values, l) => add(values, `‖∂L/∂c‖ at update ${current.update}${layerName(l)}`,
    { color: LAB.layers[l % LAB.layers.length], width: 2, dash: "dash" }));
  const zeros = current.grad_h.flat().filter((v) => v === null).length;
  const note = zeros === 0 ? [] : [{
    xref: "paper", x: 0, xanchor: "left", yref: "paper", y: 1, yanchor: "bottom", showarrow: false,
    text: `gaps: the gradient is exactly zero there (${zeros} of ${current.grad_h.flat().length} steps)`,
    font: { color: LAB.chance, size: 15 },
  }];
  return chart.render(
    traces,
    {
      transition: undefined,
      showlegend: true,
      // under the axis title at any height; smaller in the presenter view, where the chart shares a row
      legend: { orientation: "h", yref: "container", y: 0, yanchor: "bottom", font: { size: presenting() ? 15 : 18 } },
      xaxis: {
        title: { text: probeAxisTitle(chart.plot.clientWidth), standoff: 8 },
        automargin: true, // the title below the tick labels at any font size (presenter view)
        ...stepTicks(probe, Math.min(labelledSteps, Math.floor(chart.plot.clientWidth / TICK_SPACE))),
      },
      yaxis: log10Axis(table.map((s) => s.values), "‖∂L/∂h_t‖"),
      annotations: note,
      margin: { l: 90, r: 24, t: zeros === 0 ? 12 : 32, b: 130 },
    },
    {
      corner: "step: input",
      columns: table.map((s) => `${s.name} (log10)`),
      rows: steps.map((t) => ({ label: `${t}: ${inputLabel(probe.inputs[t])}`, values: table.map((s) => s.values[t] ?? null) })),
    },
  );
}
