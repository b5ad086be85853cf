/**
 * The charts of /gradients. Values arrive as log10 norms (null = exactly zero); the axes show
 * them as powers of ten, so 10^-300 is drawn where it is instead of as zero.
 */
import { CELL_NAMES } from "../cells.js";
import { Chart } from "../charts/chart.js";
import { CELL_COLOURS, DIVERGING } from "../config.js";
import { el, formatNumber } from "../dom.js";

/**
 * A dragged slider redraws at once: animating between measurements would show curves that
 * were never measured, and lag behind the hand. A transition of zero duration rather than
 * none: with a layout transition, Plotly.react moves the changed lines and axes in place;
 * without one it rebuilds the whole figure (legend, drag boxes, margins) on every change.
 */
const INSTANT = { transition: { duration: 0 } };

/** Tick labels are placed by us inside fixed margins: Plotly need not measure each one to
 * hide those that would overflow the figure (its default, and a layout pass per label). */
const AXIS = { ticklabeloverflow: "allow" };

/** The measured factor per step, beside the bound in the RNN's colour (Okabe–Ito vermillion). */
const MEASURED_COLOUR = "#D55E00";

/**
 * @typedef {{gate: string, sigma_max: number, spectral_radius: number}} Block
 * @typedef {{log10_norm: number | null, threshold: number, norm_clipped: boolean,
 *   norm_after: number, value: number, value_clipped_fraction: number, value_norm_after: number,
 *   value_cosine: number | null}} Clipping
 * @typedef {{cell: import("../cells.js").Cell, grad_h: (number | null)[], grad_c: (number | null)[] | null,
 *   cell_path: (number | null)[] | null, bound: (number | null)[] | null, blocks: Block[],
 *   jacobian: {distance: number[], log10: (number | null)[]} | null, clipping: Clipping}} CellResult
 * @typedef {{text: string, vocab: string[], steps: number, results: CellResult[]}} Exploration
 * @typedef {{gains: number[], distance: number, scale: string,
 *   results: {cell: import("../cells.js").Cell, log10: (number | null)[]}[]}} Phase
 */

/**
 * The lowest and highest finite value of several series (null, an exact zero, is skipped).
 * @param {(number | null)[][]} series
 * @returns {[number, number]}
 */
function extent(series) {
  let low = Infinity;
  let high = -Infinity;
  for (const values of series) {
    for (const v of values) {
      if (v === null || !Number.isFinite(v)) continue;
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
  }
  return low <= high ? [low, high] : [-1, 1];
}

/**
 * A fixed axis range around [low, high], widened to whole multiples of `step` (with a little
 * room, so no line runs along the frame). Every axis of these charts has its range set, and
 * rounded: Plotly.react then moves the lines in place (see INSTANT), and redraws an axis only
 * when a curve crosses to the next step, not on every tick of a dragged slider.
 * @param {[number, number]} bounds
 * @param {number} step
 * @returns {{range: [number, number], autorange: false}}
 */
function roundedRange([low, high], step) {
  return { range: [step * Math.floor(low / step - 0.05), step * Math.ceil(high / step + 0.05)], autorange: false };
}

/**
 * An x axis over distances 0..last.
 * @param {number} last
 * @param {string} title
 * @returns {object}
 */
function distanceAxis(last, title) {
  return { ...AXIS, title: { text: title }, range: [0, Math.max(last, 1)], autorange: false };
}

/**
 * A y axis for log10 values: about six ticks at round exponents, labelled 10^k.
 * Plotly places the ticks itself (every `step` from 0) and writes each as 10<sup>k</sup>, so
 * the layout changes only when the step or the rounded range does: a new list of tick labels
 * on every redraw would make Plotly.react rebuild the whole figure.
 * @param {(number | null)[][]} series
 * @param {string} title
 * @returns {{range: [number, number]} & Record<string, unknown>}
 */
export function log10Axis(series, title) {
  const [low, high] = extent(series);
  const span = Math.max(high - low, 1);
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500].find((s) => span / s <= 6) ?? 1000;
  return {
    ...AXIS, ...roundedRange([low, high], step), title: { text: title }, tickmode: "linear",
    tick0: 0, dtick: step, tickformat: "d", tickprefix: "10<sup>", ticksuffix: "</sup>",
    zeroline: false,
  };
}

/** How an exactly zero gradient reads where its log10 is asked for. */
const EXACT_ZERO = "−∞ (exactly 0)";

/**
 * Table rows of several series over one x axis; null, an exact zero, reads as log10 −∞.
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
    nullText: EXACT_ZERO,
  };
}

/** A legend above the plot (its rows need a top margin), clear of the x axis title. */
const LEGEND_ON_TOP = { showlegend: true, legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom" } };

/**
 * The measured factor of each step back, ‖∂L/∂h_{t−1}‖ / ‖∂L/∂h_t‖, at distances d = 0..T−2
 * (from d to d + 1), from log10 norms by distance: 0 into an exact zero, null out of one.
 * @param {(number | null)[]} gradH log10 ‖∂L/∂h‖ by distance
 * @returns {(number | null)[]}
 */
export function stepRatios(gradH) {
  return gradH.slice(1).map((next, d) => {
    const here = gradH[d];
    if (here === null) return null;
    return next === null ? 0 : 10 ** (next - here);
  });
}

/**
 * The geometric mean of the measured factors over the whole range, (‖∂L/∂h‖ at the far end /
 * at d = 0)^(1/(T−1)); 0 when the far gradient is exactly zero, null when there is no step or
 * the gradient at the loss is zero.
 * @param {(number | null)[]} gradH log10 ‖∂L/∂h‖ by distance
 * @returns {number | null}
 */
export function meanRatio(gradH) {
  const first = gradH[0];
  const last = gradH.at(-1);
  const steps = gradH.length - 1;
  if (steps < 1 || first === null || first === undefined || last === undefined) return null;
  return last === null ? 0 : 10 ** ((last - first) / steps);
}

/**
 * Where a line over distances first leaves [low, high] (null: it stays inside): the distance,
 * fractional where it crosses between two steps, and the edge it crosses.
 * @param {(number | null)[]} values
 * @param {[number, number]} range
 * @returns {{distance: number, edge: number} | null}
 */
export function exitPoint(values, [low, high]) {
  for (let d = 0; d < values.length; d++) {
    const v = values[d];
    if (v === null || (v >= low && v <= high)) continue;
    const edge = v > high ? high : low;
    const before = d > 0 ? values[d - 1] : null;
    const distance = before === null ? d : d - 1 + (edge - before) / (v - before);
    return { distance, edge };
  }
  return null;
}

/**
 * The note where the bound leaves the chart: an arrow at its exit, the value it reaches.
 * @param {(number | null)[]} bound
 * @param {[number, number]} range the y axis range
 * @param {string} colour
 * @returns {object[]} one Plotly annotation, or none when the bound stays on the chart
 */
function boundExitNote(bound, range, colour) {
  const exit = exitPoint(bound, range);
  const far = bound.at(-1);
  if (!exit || far === null || far === undefined) return [];
  const top = exit.edge === range[1];
  return [{
    x: exit.distance, y: exit.edge, xref: "x", yref: "y", showarrow: true, arrowhead: 2, arrowwidth: 2,
    arrowcolor: colour, ax: 0, ay: top ? 46 : -46, xanchor: exit.distance > (bound.length - 1) / 2 ? "right" : "left",
    text: `bound leaves the chart:<br>10<sup>${formatNumber(far, 0)}</sup> at distance ${bound.length - 1}`, align: "left",
    font: { color: colour, size: 15 }, bgcolor: "rgba(255,255,255,0.85)", name: "bound-exit",
  }];
}

/** A marked word's band on the distance axis (Okabe–Ito reddish purple): apart from every cell's colour. */
const MARK_COLOUR = "#CC79A7";

/**
 * @typedef {{word: string, from: number, to: number}} MarkedWord the distances from the loss of
 *   a word's last (`from`) and first (`to`) character
 */

/**
 * Where a word of the text sits on the distance axis: the hidden state that has read its
 * character at index t is at distance d = (T − 1) − t from the loss (the loss is the
 * prediction made at t = T − 1 = text.length − 2 of the text's last character). The word's
 * first occurrence; null when it is empty, absent, or only in the character predicted.
 * @param {string} text
 * @param {string} word
 * @returns {MarkedWord | null}
 */
export function wordDistances(text, word) {
  const start = word ? text.indexOf(word) : -1;
  const last = text.length - 2;
  if (start < 0 || start > last) return null;
  return { word, from: Math.max(last - (start + word.length - 1), 0), to: last - start };
}

/**
 * A band over a marked word's distances, labelled with the word above the plot.
 * @param {MarkedWord} mark
 * @returns {{shapes: object[], annotations: object[]}}
 */
function wordBand(mark) {
  const x0 = mark.from - 0.5;
  const x1 = mark.to + 0.5;
  return {
    shapes: [{
      type: "rect", xref: "x", yref: "paper", x0, x1, y0: 0, y1: 1, layer: "below",
      fillcolor: MARK_COLOUR, opacity: 0.3, line: { color: MARK_COLOUR, width: 2 }, name: "marked-word",
    }],
    annotations: [{
      x: (x0 + x1) / 2, y: 1, xref: "x", yref: "paper", yanchor: "top", showarrow: false,
      text: `<b>${escapeHtml(mark.word)}</b>`, font: { color: MARK_COLOUR, size: 18 },
      bgcolor: "rgba(255,255,255,0.85)", name: "marked-word",
    }],
  };
}

/**
 * Text for a Plotly label, which reads a few HTML tags: the word shows as typed.
 * @param {string} text
 * @returns {string}
 */
function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The main chart: log10 ||dL/dh|| against distance, one line per cell, the RNN's bound dashed.
 * The y axis spans the measured curves only: the bound (σ_max^d, a worst case) may run off by
 * hundreds of decades and would flatten them; it is clipped at the frame, and a note says
 * where it leaves and how far it goes. A gradient that is exactly zero (every unit of a ReLU
 * RNN dead; it stays zero further back) has no place on a log axis: a dotted line along the
 * bottom marks those distances, so the curve does not just stop. A marked word of the text
 * (the evidence the loss needs, "France") is a labelled band at its distances.
 * @param {Chart} chart
 * @param {Exploration} data
 * @param {MarkedWord | null} [mark]
 */
export function drawGradientChart(chart, data, mark = null) {
  const distance = data.results[0].grad_h.map((_, d) => d);
  const measured = data.results.map((r) => r.grad_h);
  const yaxis = log10Axis(measured, "‖∂L/∂h<sub>t</sub>‖");
  const bottom = (yaxis.range[0] + extent(measured)[0]) / 2; // below every measured value
  const traces = [];
  const table = [];
  const annotations = [];
  for (const result of data.results) {
    const name = CELL_NAMES[result.cell];
    const colour = CELL_COLOURS[result.cell];
    traces.push({
      type: "scatter", mode: "lines", name, x: distance, y: result.grad_h, line: { color: colour, width: 4 },
      hovertemplate: `${name}, d = %{x}: 10^%{y:.2f}<extra></extra>`,
    });
    table.push({ label: `${name} log10 ‖∂L/∂h‖`, values: result.grad_h });
    if (result.grad_h.includes(null)) {
      traces.push({
        type: "scatter", mode: "lines", name: `${name} exactly 0`, x: distance,
        y: result.grad_h.map((v) => (v === null ? bottom : null)), line: { color: colour, width: 4, dash: "dot" },
        hovertemplate: `${name}, d = %{x}: exactly 0<extra></extra>`,
      });
    }
    if (result.bound) {
      traces.push({
        type: "scatter", mode: "lines", name: `${name} bound σ<sub>max</sub><sup>d</sup>`, x: distance,
        y: result.bound, line: { color: colour, width: 2, dash: "dash" },
        hovertemplate: `bound, d = %{x}: 10^%{y:.2f}<extra></extra>`,
      });
      table.push({ label: `${name} bound (log10)`, values: result.bound });
      annotations.push(...boundExitNote(result.bound, yaxis.range, colour));
    }
  }
  const band = mark ? wordBand(mark) : { shapes: [], annotations: [] };
  annotations.push(...band.annotations);
  return chart.render(
    traces,
    {
      ...INSTANT,
      ...LEGEND_ON_TOP,
      xaxis: distanceAxis(distance.length - 1, "distance d = T − t"),
      yaxis,
      annotations,
      shapes: band.shapes,
      margin: { l: 90, r: 24, t: 40, b: 70 },
    },
    columnsTable(distance, table, "d"),
  );
}

/**
 * RNN: the factor ||diag(f'(a_t)) W_hh||_2 each step back may multiply the gradient by (at
 * most sigma_max, beside the spectral radius), against the factor it does multiply it by:
 * the measured ratio ||dL/dh_{t-1}|| / ||dL/dh_t|| at every step, and its geometric mean over
 * the range. Drawn as factors, so "each step keeps 51 %" can be read off the axis.
 * @param {Chart} chart
 * @param {CellResult} rnn
 */
export function drawJacobianChart(chart, rnn) {
  const jacobian = /** @type {{distance: number[], log10: (number | null)[]}} */ (rnn.jacobian);
  const { sigma_max: sigma, spectral_radius: radius } = rnn.blocks[0];
  const factor = jacobian.log10.map((v) => (v === null ? 0 : 10 ** v)); // null: exactly zero
  const ratios = stepRatios(rnn.grad_h);
  const steps = ratios.map((_, d) => d);
  const mean = meanRatio(rnn.grad_h);
  const ends = [0, Math.max(steps.length - 1, 1)]; // horizontal lines across the chart
  const flat = (/** @type {number} */ v) => ends.map(() => v);
  /** @type {({y: (number | null)[]} & Record<string, unknown>)[]} */
  const traces = [
    { type: "scatter", mode: "lines+markers", name: "bound ‖diag(f′) W<sub>hh</sub>‖<sub>2</sub>",
      x: jacobian.distance, y: factor, line: { color: CELL_COLOURS.rnn, width: 3 },
      hovertemplate: "d = %{x}: × %{y:.4f} at most<extra></extra>" },
    { type: "scatter", mode: "lines", name: "measured, each step", x: steps,
      y: ratios, line: { color: MEASURED_COLOUR, width: 2 },
      hovertemplate: "d = %{x}: × %{y:.4f} measured<extra></extra>" },
    { type: "scatter", mode: "lines", name: "σ<sub>max</sub>(W<sub>hh</sub>)", x: ends,
      y: flat(sigma), line: { color: "#444444", dash: "dash", width: 2 } },
    { type: "scatter", mode: "lines", name: "spectral radius ρ", x: ends, y: flat(radius),
      line: { color: "#999999", dash: "dot", width: 2 } },
  ];
  if (mean !== null) {
    traces.push({ type: "scatter", mode: "lines", name: "measured, geometric mean", x: ends, y: flat(mean),
      line: { color: MEASURED_COLOUR, dash: "dash", width: 3 },
      hovertemplate: `geometric mean: × ${mean.toPrecision(4)} per step<extra></extra>` });
  }
  const [, high] = extent(traces.map((t) => t.y));
  const sampled = new Map(jacobian.distance.map((d, k) => [d, factor[k]]));
  return chart.render(
    traces,
    {
      ...INSTANT,
      ...LEGEND_ON_TOP,
      xaxis: distanceAxis(steps.length - 1, "distance d"),
      yaxis: { ...AXIS, ...roundedRange([0, high], 0.25), title: { text: "factor per step" }, zeroline: true },
      margin: { l: 80, r: 24, t: 100, b: 70 },
    },
    {
      corner: "d",
      columns: ["bound ‖diag(f′(a_t)) W_hh‖₂", "measured ‖∂L/∂h_{t−1}‖ / ‖∂L/∂h_t‖"],
      rows: steps.map((d) => ({ label: String(d), values: [sampled.get(d) ?? null, ratios[d]] })),
    },
  );
}

/**
 * The gap between the bound and the measured factor, in numbers, and why there is one.
 * @param {HTMLElement} box
 * @param {CellResult | undefined} rnn
 */
export function explainFactorGap(box, rnn) {
  box.hidden = !rnn?.jacobian;
  if (!rnn?.jacobian) return;
  const factors = rnn.jacobian.log10.map((v) => (v === null ? 0 : 10 ** v));
  const mean = meanRatio(rnn.grad_h);
  const low = Math.min(...factors);
  const high = Math.max(...factors);
  const measured = el("strong", { "data-mean-ratio": String(mean) },
    mean === null ? "—" : `× ${mean.toPrecision(3)}`);
  const sub = (/** @type {string} */ text) => el("sub", {}, text);
  box.replaceChildren(
    "Measured, the RNN's gradient changes by ", measured, " per step: the geometric mean of ‖∂L/∂h",
    sub("t−1"), "‖ / ‖∂L/∂h", sub("t"), `‖ over ${rnn.grad_h.length - 1} steps. The bound ‖diag(f′(a`, sub("t"),
    ")) W", sub("hh"), "‖", sub("2"), ` lies between × ${low.toPrecision(3)} and × ${high.toPrecision(3)}. `,
    "The 2-norm is a worst case over all directions: the gradient does not line up with the top",
    " singular vector of each step's Jacobian, and f′ changes from step to step, so the factor it",
    " really meets is smaller than the bound.",
  );
}

/**
 * LSTM (plain or peephole): the cell-state path (product of forget gates) beside the hidden path.
 * @param {Chart} chart
 * @param {CellResult} lstm
 */
export function drawCellPathChart(chart, lstm) {
  const distance = lstm.grad_h.map((_, d) => d);
  const lines = [
    { name: "‖∂L/∂h<sub>t</sub>‖", label: "‖∂L/∂h‖", values: lstm.grad_h, dash: "solid" },
    { name: "‖∂L/∂c<sub>t</sub>‖", label: "‖∂L/∂c‖", values: lstm.grad_c ?? [], dash: "dash" },
    { name: "cell path max Π f", label: "cell path max Π f", values: lstm.cell_path ?? [], dash: "dot" },
  ];
  const traces = lines.map((line, k) => ({
    type: "scatter", mode: "lines", name: line.name, x: distance, y: line.values,
    line: { color: [CELL_COLOURS[lstm.cell], "#7f3b08", "#542788"][k], width: 3, dash: line.dash },
    hovertemplate: `d = %{x}: 10^%{y:.2f}<extra>${line.label}</extra>`,
  }));
  return chart.render(
    traces,
    {
      ...INSTANT,
      ...LEGEND_ON_TOP,
      xaxis: distanceAxis(distance.length - 1, "distance d"),
      yaxis: log10Axis(lines.map((l) => l.values), "log scale"),
      margin: { l: 90, r: 24, t: 76, b: 70 },
    },
    columnsTable(distance, lines.map((l) => ({ label: `${l.label} (log10)`, values: l.values })), "d"),
  );
}

/**
 * The phase diagram: log10 gradient at distance k over gains, one row per cell. A gradient
 * that is exactly zero (every unit of a ReLU RNN dead) has log10 −∞: its cell is left blank
 * and labelled so.
 * @param {Chart} chart
 * @param {Phase} phase
 */
export function drawPhaseChart(chart, phase) {
  const z = phase.results.map((r) => r.log10);
  const [low, high] = extent(z);
  const top = Math.max(1, Math.abs(low), Math.abs(high));
  const text = z.map((row) => row.map((v) => (v === null ? "−∞" : formatNumber(v, 0))));
  const hover = z.map((row) => row.map((v) => (v === null ? "exactly 0" : `10^${formatNumber(v, 1)}`)));
  const label = phase.scale === "radius" ? "spectral radius ρ of W<sub>hh</sub>" : "σ<sub>max</sub> of W<sub>hh</sub>";
  return chart.render(
    [{
      type: "heatmap", z, text, customdata: hover, x: phase.gains.map(String), y: phase.results.map((r) => CELL_NAMES[r.cell]),
      zmin: -top, zmax: top, colorscale: DIVERGING, xgap: 2, ygap: 2,
      texttemplate: "%{text}", colorbar: { title: { text: "log10" }, thickness: 14 },
      hovertemplate: "%{y}, gain %{x}: %{customdata}<extra></extra>",
    }],
    {
      ...INSTANT,
      xaxis: { title: { text: label }, type: "category", fixedrange: true, automargin: true },
      yaxis: { type: "category", fixedrange: true, automargin: true },
      margin: { l: 80, r: 24, t: 12, b: 70 },
    },
    {
      corner: "cell \\ gain",
      columns: phase.gains.map(String),
      rows: phase.results.map((r) => ({ label: CELL_NAMES[r.cell], values: r.log10 })),
      nullText: EXACT_ZERO,
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
  const sigma = el("th", { scope: "col" }, "σ");
  sigma.append(el("sub", {}, "max"));
  head.append(el("th", { scope: "col" }, "cell"), el("th", { scope: "col" }, "block"), sigma,
    el("th", { scope: "col" }, "spectral radius ρ"));
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
 * A positive number given as log10 (null: exactly zero), written plainly when it is of a size
 * people read at a glance, else as a power of ten.
 * @param {number | null} log10
 * @returns {(string | HTMLElement)[]}
 */
function magnitude(log10) {
  if (log10 === null) return ["0"];
  if (log10 >= -3 && log10 < 5) return [Number(10 ** log10).toPrecision(4)];
  return ["10", el("sup", {}, formatNumber(log10, 1))];
}

/**
 * The clipping table: the raw update and what each kind of clipping made of it.
 * @param {HTMLTableElement} table
 * @param {CellResult[]} results
 */
export function fillClipping(table, results) {
  const { threshold, value } = results[0].clipping;
  const th = (/** @type {string} */ text, /** @type {Record<string, string>} */ attrs = {}) =>
    el("th", { scope: "col", ...attrs }, text);
  const groups = el("tr");
  groups.append(
    th("cell", { rowspan: "2" }),
    th("‖g‖ before", { rowspan: "2" }),
    th(`norm clipping to ${threshold}`, { colspan: "2", scope: "colgroup" }),
    th(`element-wise clipping to ±${value}`, { colspan: "3", scope: "colgroup" }),
  );
  const columns = el("tr");
  for (const title of ["‖g‖ after", "direction kept (cos)", "‖g‖ after", "direction kept (cos)",
    "entries clipped"]) columns.append(th(title));
  const rows = results.map((r) => {
    const c = r.clipping;
    const tr = el("tr", { "data-cell": r.cell });
    const raw = el("td", { "data-value": String(c.log10_norm) });
    raw.append(...magnitude(c.log10_norm));
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
  thead.append(groups, columns);
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
      title: "Gradient norm ‖∂L/∂h‖ against distance from the loss",
      description: "d: steps back from the loss; log scale; dashed: the RNN's bound σmax^d (Pascanu et al. 2013), cut where it leaves the chart; a curve never drops to zero unless the gradient is exactly zero",
      height: 460,
    }),
    jacobian: new Chart(why, {
      id: "jacobian-chart",
      title: "RNN: the factor each step back multiplies by",
      description: "bound: the spectral norm of one step's Jacobian, ‖diag(f′(a)) Whh‖₂ (never above σmax of Whh); measured: the ratio ‖∂L/∂h(t−1)‖ / ‖∂L/∂h(t)‖ the gradient really changes by, each step and on average",
      height: 360,
    }),
    cellPath: new Chart(why, {
      id: "cell-path-chart",
      title: "LSTM: cell path against hidden path",
      description: "the product of forget gates Π f carries the gradient when h's path fades; the forget bias moves it",
      height: 360,
    }),
    phase: new Chart(phase, {
      id: "phase-chart",
      title: "log10 ‖∂L/∂h‖ at distance k, swept over the gain",
      description: "orange: vanishing, purple: exploding, −∞: exactly zero. With an orthogonal or identity Whh the boundary sits near 1; PyTorch's default matrix has most singular values far below its largest, so it vanishes even there",
      height: 300,
    }),
  };
}
