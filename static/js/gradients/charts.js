/**
 * The charts of /gradients. Values arrive as log10 norms (null = exactly zero); the axes show
 * them as powers of ten, so 10^-300 is drawn where it is instead of as zero.
 */
import { Chart } from "../charts/chart.js";
import { CATEGORICAL, DIVERGING } from "../config.js";
import { el, formatNumber } from "../dom.js";

export const CELL_NAMES = { rnn: "RNN", lstm: "LSTM", gru: "GRU" };
export const CELL_COLOURS = { rnn: CATEGORICAL[0], lstm: CATEGORICAL[1], gru: CATEGORICAL[2] };

/** A dragged slider redraws at once: animating between measurements would show curves that
 * were never measured, and lag behind the hand. */
const NO_TRANSITION = { transition: undefined };

/**
 * @typedef {{gate: string, sigma_max: number, spectral_radius: number}} Block
 * @typedef {{log10_norm: number | null, threshold: number, norm_clipped: boolean,
 *   norm_after: number, value: number, value_clipped_fraction: number, value_norm_after: number,
 *   value_cosine: number | null}} Clipping
 * @typedef {{cell: "rnn" | "lstm" | "gru", grad_h: (number | null)[], grad_c: (number | null)[] | null,
 *   cell_path: (number | null)[] | null, bound: (number | null)[] | null, blocks: Block[],
 *   jacobian: {distance: number[], log10: (number | null)[]} | null, clipping: Clipping}} CellResult
 * @typedef {{text: string, vocab: string[], steps: number, results: CellResult[]}} Exploration
 * @typedef {{gains: number[], distance: number, scale: string,
 *   results: {cell: "rnn" | "lstm" | "gru", log10: (number | null)[]}[]}} Phase
 */

/**
 * "10^k" written with a true minus sign and a superscript (Plotly reads <sup>).
 * @param {number} exponent
 * @returns {string}
 */
export function powerOfTen(exponent) {
  return `10<sup>${formatNumber(exponent, 0)}</sup>`;
}

/**
 * A y axis for log10 values: about six ticks at round exponents, labelled 10^k.
 * @param {(number | null)[][]} series
 * @param {string} title
 * @returns {object}
 */
export function log10Axis(series, title) {
  const finite = series.flat().filter((v) => v !== null && Number.isFinite(v));
  const low = finite.length ? Math.min(...finite) : -1;
  const high = finite.length ? Math.max(...finite) : 1;
  const span = Math.max(high - low, 1);
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500].find((s) => span / s <= 6) ?? 1000;
  const ticks = [];
  for (let v = Math.floor(low / step) * step; v <= Math.ceil(high / step) * step; v += step) ticks.push(v);
  return { title: { text: title }, tickvals: ticks, ticktext: ticks.map(powerOfTen), zeroline: false };
}

/**
 * Table rows of several series over one x axis.
 * @param {number[]} x
 * @param {{label: string, values: (number | null)[]}[]} series
 * @param {string} corner
 * @returns {import("../charts/table.js").TableData}
 */
function columnsTable(x, series, corner) {
  return {
    corner,
    columns: series.map((s) => s.label),
    rows: x.map((value, k) => ({ label: String(value), values: series.map((s) => s.values[k] ?? null) })),
  };
}

/**
 * The main chart: log10 ||dL/dh|| against distance, one line per cell, the RNN's bound dashed.
 * @param {Chart} chart
 * @param {Exploration} data
 */
export function drawGradientChart(chart, data) {
  const distance = data.results[0].grad_h.map((_, d) => d);
  const traces = [];
  const table = [];
  for (const result of data.results) {
    const name = CELL_NAMES[result.cell];
    traces.push({
      type: "scatter", mode: "lines", name, x: distance, y: result.grad_h,
      line: { color: CELL_COLOURS[result.cell], width: 4 },
      hovertemplate: `${name}, d = %{x}: 10^%{y:.2f}<extra></extra>`,
    });
    table.push({ label: `${name} log10 ‖∂L/∂h‖`, values: result.grad_h });
    if (result.bound) {
      traces.push({
        type: "scatter", mode: "lines", name: `${name} bound σ_max^d`, x: distance, y: result.bound,
        line: { color: CELL_COLOURS[result.cell], width: 2, dash: "dash" },
        hovertemplate: `bound, d = %{x}: 10^%{y:.2f}<extra></extra>`,
      });
      table.push({ label: `${name} bound (log10)`, values: result.bound });
    }
  }
  const series = data.results.map((r) => r.grad_h);
  return chart.render(
    traces,
    {
      ...NO_TRANSITION,
      showlegend: true,
      legend: { orientation: "h", y: -0.25 },
      xaxis: { title: { text: "distance d = T − t (steps back from the loss)" } },
      yaxis: log10Axis(series, "‖∂L/∂h_t‖"),
      margin: { l: 90, r: 24, t: 12, b: 110 },
    },
    columnsTable(distance, table, "d"),
  );
}

/**
 * RNN: the per-step Jacobian factor against sigma_max and the spectral radius.
 * @param {Chart} chart
 * @param {CellResult} rnn
 */
export function drawJacobianChart(chart, rnn) {
  const jacobian = /** @type {{distance: number[], log10: (number | null)[]}} */ (rnn.jacobian);
  const { sigma_max: sigma, spectral_radius: radius } = rnn.blocks[0];
  const flat = (/** @type {number} */ v) => jacobian.distance.map(() => Math.log10(v));
  const traces = [
    { type: "scatter", mode: "lines+markers", name: "‖diag(f′(a_t)) W_hh‖₂", x: jacobian.distance,
      y: jacobian.log10, line: { color: CELL_COLOURS.rnn, width: 3 } },
    { type: "scatter", mode: "lines", name: "σ_max(W_hh)", x: jacobian.distance, y: flat(sigma),
      line: { color: "#444444", dash: "dash", width: 2 } },
    { type: "scatter", mode: "lines", name: "spectral radius ρ", x: jacobian.distance, y: flat(radius),
      line: { color: "#999999", dash: "dot", width: 2 } },
  ];
  return chart.render(
    traces,
    {
      ...NO_TRANSITION,
      showlegend: true, legend: { orientation: "h", y: -0.35 },
      xaxis: { title: { text: "distance d" } },
      yaxis: { title: { text: "log10 factor per step" }, zeroline: true },
      margin: { l: 70, r: 24, t: 12, b: 120 },
    },
    columnsTable(jacobian.distance, [{ label: "log10 ‖J_t‖₂", values: jacobian.log10 }], "d"),
  );
}

/**
 * LSTM: the cell-state path (product of forget gates) beside the hidden path.
 * @param {Chart} chart
 * @param {CellResult} lstm
 */
export function drawCellPathChart(chart, lstm) {
  const distance = lstm.grad_h.map((_, d) => d);
  const lines = [
    { label: "‖∂L/∂h_t‖", values: lstm.grad_h, dash: "solid" },
    { label: "‖∂L/∂c_t‖", values: lstm.grad_c ?? [], dash: "dash" },
    { label: "cell path max Π f", values: lstm.cell_path ?? [], dash: "dot" },
  ];
  const traces = lines.map((line, k) => ({
    type: "scatter", mode: "lines", name: line.label, x: distance, y: line.values,
    line: { color: [CELL_COLOURS.lstm, "#7f3b08", "#542788"][k], width: 3, dash: line.dash },
  }));
  return chart.render(
    traces,
    {
      ...NO_TRANSITION,
      showlegend: true, legend: { orientation: "h", y: -0.35 },
      xaxis: { title: { text: "distance d" } },
      yaxis: log10Axis(lines.map((l) => l.values), "LSTM"),
      margin: { l: 90, r: 24, t: 12, b: 120 },
    },
    columnsTable(distance, lines.map((l) => ({ label: `${l.label} (log10)`, values: l.values })), "d"),
  );
}

/**
 * The phase diagram: log10 gradient at distance k over gains, one row per cell.
 * @param {Chart} chart
 * @param {Phase} phase
 */
export function drawPhaseChart(chart, phase) {
  const z = phase.results.map((r) => r.log10);
  const finite = z.flat().filter((v) => v !== null).map(Math.abs);
  const top = Math.max(1, ...finite);
  const label = phase.scale === "radius" ? "spectral radius ρ" : "σ_max of W_hh";
  return chart.render(
    [{
      type: "heatmap", z, x: phase.gains.map(String), y: phase.results.map((r) => CELL_NAMES[r.cell]),
      zmin: -top, zmax: top, colorscale: DIVERGING, xgap: 2, ygap: 2,
      texttemplate: "%{z:.0f}", colorbar: { title: { text: "log10" }, thickness: 14 },
      hovertemplate: "%{y}, gain %{x}: 10^%{z:.1f}<extra></extra>",
    }],
    { ...NO_TRANSITION, xaxis: { title: { text: label }, type: "category" }, margin: { l: 80, r: 24, t: 12, b: 70 } },
    {
      corner: "cell \\ gain",
      columns: phase.gains.map(String),
      rows: phase.results.map((r) => ({ label: CELL_NAMES[r.cell], values: r.log10 })),
    },
  );
}

/**
 * The W_hh block table: sigma_max and spectral radius per gate block of each cell.
 * @param {HTMLTableElement} table
 * @param {CellResult[]} results
 */
export function fillBlocks(table, results) {
  const caption = table.querySelector("caption");
  const head = el("tr");
  for (const title of ["cell", "block", "σ_max", "spectral radius ρ"]) head.append(el("th", { scope: "col" }, title));
  const rows = results.flatMap((r) =>
    r.blocks.map((b) => {
      const tr = el("tr");
      tr.append(
        el("th", { scope: "row" }, CELL_NAMES[r.cell]),
        el("td", {}, b.gate),
        el("td", { "data-value": String(b.sigma_max) }, formatNumber(b.sigma_max, 4)),
        el("td", { "data-value": String(b.spectral_radius) }, formatNumber(b.spectral_radius, 4)),
      );
      return tr;
    }),
  );
  table.replaceChildren(...(caption ? [caption] : []), el("thead"), el("tbody"));
  table.tHead?.append(head);
  table.tBodies[0].append(...rows);
}

/**
 * The clipping table: the raw update and what each kind of clipping made of it.
 * @param {HTMLTableElement} table
 * @param {CellResult[]} results
 */
export function fillClipping(table, results) {
  const columns = ["cell", "‖g‖", "norm clipping → ‖g‖", "direction kept (cos)",
    "element-wise → ‖g‖", "direction kept (cos)", "entries clipped"];
  const head = el("tr");
  for (const title of columns) head.append(el("th", { scope: "col" }, title));
  const rows = results.map((r) => {
    const c = r.clipping;
    const tr = el("tr", { "data-cell": r.cell });
    const raw = el("td", { "data-value": String(c.log10_norm) });
    if (c.log10_norm === null) raw.append("0");
    else raw.append("10", el("sup", {}, formatNumber(c.log10_norm, 2)));
    tr.append(
      el("th", { scope: "row" }, CELL_NAMES[r.cell]),
      raw,
      el("td", { "data-value": String(c.norm_after) }, `${formatNumber(c.norm_after, 4)}${c.norm_clipped ? " (clipped)" : ""}`),
      el("td", {}, c.log10_norm === null ? "—" : "1"),
      el("td", { "data-value": String(c.value_norm_after) }, formatNumber(c.value_norm_after, 4)),
      el("td", { "data-value": String(c.value_cosine) }, formatNumber(c.value_cosine, 4)),
      el("td", {}, `${formatNumber(100 * c.value_clipped_fraction, 1)} %`),
    );
    return tr;
  });
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  tbody.append(...rows);
  table.replaceChildren(thead, tbody);
}

/**
 * The chart objects of the page, created once.
 * @param {{main: HTMLElement, why: HTMLElement, phase: HTMLElement}} containers
 */
export function createCharts({ main, why, phase }) {
  return {
    gradient: new Chart(main, {
      id: "gradient-chart",
      title: "‖∂L/∂h_t‖ against distance from the loss",
      description: "log scale; dashed: the RNN's bound σ_max^d; a curve never drops to zero unless the gradient is exactly zero",
      height: 460,
    }),
    jacobian: new Chart(why, {
      id: "jacobian-chart",
      title: "RNN: the factor each step multiplies by",
      description: "log10 ‖diag(f′(a_t)) W_hh‖₂ at each step, under σ_max",
      height: 340,
    }),
    cellPath: new Chart(why, {
      id: "cell-path-chart",
      title: "LSTM: cell path against hidden path",
      description: "the product of forget gates carries the gradient when h's path fades",
      height: 340,
    }),
    phase: new Chart(phase, {
      id: "phase-chart",
      title: "log10 ‖∂L/∂h‖ at distance k, swept over the gain",
      description: "orange: vanishing, purple: exploding; the boundary sits near 1",
      height: 300,
    }),
  };
}
