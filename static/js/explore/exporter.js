/**
 * Export: every chart as PNG or SVG (buttons beside its title), the trace as JSON (the API's
 * own answer) and as CSV (one row per step, every number at full precision).
 */
import { argmax } from "../arrays.js";
import { el } from "../dom.js";
import { outputLabels } from "../trace.js";

/**
 * Put "PNG" and "SVG" download buttons in a chart's caption (Plotly's own export for a
 * Plotly chart, the SVG itself for an SVG bar chart).
 * @param {import("../charts/chart.js").Chart | import("./svgbars.js").SvgBarChart} chart
 */
export function addImageButtons(chart) {
  const group = el("span", { class: "image-export", role: "group", "aria-label": "Download the chart" });
  for (const format of /** @type {const} */ (["png", "svg"])) {
    const button = el("button", { type: "button", class: "link-button", "data-export": format }, format.toUpperCase());
    button.addEventListener("click", () => {
      if (chart.drawn) chart.downloadImage(format);
    });
    group.append(button);
  }
  chart.caption.append(group);
}

/**
 * A CSV field: quoted when it holds a comma, quote or line break; null is empty.
 * @param {string | number | null} value
 * @returns {string}
 */
function field(value) {
  if (value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The trace as CSV: one row per step with the input, target, loss, prediction, gradient
 * norms (log10; empty = exactly zero), every layer's h, c and gates, and the probabilities
 * (of the next character, or of each class: a class model's target is its label, at its
 * last step). A series model's rows have its prediction of x_{t+1} instead of probabilities,
 * and the free-running forecast where there is one.
 * @param {import("./data.js").ExploreTrace} trace
 * @returns {string}
 */
export function traceCsv(trace) {
  const units = Array.from({ length: trace.hidden_size }, (_, j) => j);
  const header = ["step", "input", "target", "loss", "predicted", "p_predicted", "log10_grad_input"];
  trace.grads.forEach((g, l) => {
    header.push(`log10_grad_h_l${l}`);
    if (g.c) header.push(`log10_grad_c_l${l}`);
  });
  trace.layers.forEach((layer, l) => {
    header.push(...units.map((j) => `h_l${l}_u${j}`));
    if (layer.c) header.push(...units.map((j) => `c_l${l}_u${j}`));
    for (const gate of Object.keys(layer.gates)) header.push(...units.map((j) => `${gate}_l${l}_u${j}`));
  });
  const series = trace.output === "value";
  const labels = series ? [] : outputLabels(trace);
  if (series) header.splice(4, 2, "prediction_of_next", "free_running_forecast");
  header.push(...labels.map((label) => `p(${label})`));
  const lines = [header.map(field).join(",")];
  trace.tokens.forEach((token, t) => {
    const target = trace.output === "class" && t === trace.tokens.length - 1 ? trace.label ?? null : trace.targets[t];
    /** @type {(string | number | null)[]} */
    const row = [t, token, target, trace.loss[t], ...predictionFields(trace, t, labels), trace.grads_input[t]];
    trace.grads.forEach((g) => {
      row.push(g.h[t]);
      if (g.c) row.push(g.c[t]);
    });
    trace.layers.forEach((layer) => {
      row.push(...layer.h[t]);
      if (layer.c) row.push(...layer.c[t]);
      for (const values of Object.values(layer.gates)) row.push(...values[t]);
    });
    if (!series) row.push(...trace.probs[t]);
    lines.push(row.map(field).join(","));
  });
  return `${lines.join("\n")}\n`;
}

/**
 * Step t's prediction: the most probable token or class and its probability; for a series
 * model its prediction of x_{t+1} and the free-running forecast of x_{t+1}, if any.
 * @param {import("./data.js").ExploreTrace} trace
 * @param {number} t
 * @param {string[]} labels
 * @returns {(string | number | null)[]}
 */
function predictionFields(trace, t, labels) {
  if (trace.output === "value") {
    const free = trace.forecast ? trace.forecast.values[t + 1 - trace.forecast.start] : undefined;
    return [trace.logits[t][0], free ? free[0] : null];
  }
  const best = argmax(trace.probs[t]);
  return [labels[best], trace.probs[t][best]];
}
