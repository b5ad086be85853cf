/**
 * Training replay: a slider over the run's snapshots. Each snapshot carries the probe
 * sequence's hidden states and gradient curve at that update (and the series task's forecast),
 * so moving the slider redraws them (Plotly.react) without another request: watch a unit
 * specialise, a curve lift or a forecast find the wave.
 */
import { transpose } from "../arrays.js";
import { Chart } from "../charts/chart.js";
import { Heatmap } from "../charts/heatmap.js";
import { DIVERGING } from "../config.js";
import { formatNumber } from "../dom.js";
import { drawProbe, inputLabel, METRIC_NAMES } from "./charts.js";
import { createForecastChart, drawForecast } from "./forecast.js";

/**
 * @typedef {{update: number, state_dict: Record<string, any>, metric: number | null,
 *   probe_h: number[][], grad_h: (number | null)[][], grad_c?: (number | null)[][] | null,
 *   forecast?: import("./forecast.js").Forecast}} Snapshot `forecast`: the series task's
 */

export class Replay {
  /**
   * @param {{slider: HTMLInputElement, label: HTMLElement, charts: HTMLElement}} elements
   */
  constructor({ slider, label, charts }) {
    this.slider = slider;
    this.label = label;
    this.heatmap = new Heatmap(charts, {
      id: "replay-heatmap", title: "Hidden state h_t on the probe sequence",
      description: "one row per unit, one column per step (last layer)", height: 360,
    });
    this.gradient = new Chart(charts, {
      id: "replay-gradient", title: "‖∂L/∂h_t‖ on the probe sequence at this snapshot",
      description: "log scale, exact", height: 360,
    });
    this.forecast = createForecastChart(charts, {
      id: "replay-forecast", title: "Forecast on the probe series at this snapshot", height: 360,
    });
    this.forecast.figure.hidden = true; // the series task's only
    /** @type {Snapshot[]} */
    this.snapshots = [];
    /** @type {import("./charts.js").Probe | null} */
    this.probe = null;
    this.metric = "";
    this.drawing = Promise.resolve();
    slider.addEventListener("input", () => this.show(Number(slider.value)));
  }

  /**
   * Forget the snapshots of the last run.
   * @param {import("./charts.js").Probe} probe
   * @param {string} metric
   */
  reset(probe, metric) {
    this.snapshots = [];
    this.probe = probe;
    this.metric = metric;
    this.slider.disabled = true;
    this.slider.max = "0";
    this.slider.value = "0";
    this.label.textContent = "no snapshot yet";
    this.forecast.figure.hidden = true;
  }

  /**
   * Keep a snapshot; follow it when the slider was at the latest one.
   * @param {Snapshot} snapshot
   */
  add(snapshot) {
    const following = Number(this.slider.value) === this.snapshots.length - 1 || this.snapshots.length === 0;
    this.snapshots.push(snapshot);
    this.slider.max = String(this.snapshots.length - 1);
    this.slider.disabled = this.snapshots.length < 2;
    if (following) this.show(this.snapshots.length - 1);
  }

  /**
   * Draw snapshot `index`.
   * @param {number} index
   * @returns {Promise<void>}
   */
  show(index) {
    const snapshot = this.snapshots[index];
    const probe = this.probe;
    if (!snapshot || !probe) return this.drawing;
    this.slider.value = String(index);
    const metric = METRIC_NAMES[this.metric] ?? this.metric;
    const text = `snapshot ${index + 1} of ${this.snapshots.length}: update ${snapshot.update}` +
      (snapshot.metric === null || snapshot.metric === undefined ? "" : ` · held-out ${metric} ${formatNumber(snapshot.metric, 4)}`);
    this.label.textContent = text;
    this.slider.setAttribute("aria-valuetext", text);
    document.body.dataset.replayUpdate = String(snapshot.update);
    const z = transpose(snapshot.probe_h); // (H, T)
    const top = Math.max(1, ...z.flat().map(Math.abs));
    const characters = probe.inputs.every((input) => typeof input === "string");
    const steps = probe.inputs.map((input, t) => (characters ? `${t}:${inputLabel(input)}` : String(t)));
    this.drawing = Promise.all([
      this.heatmap.update({
        z, x: steps, y: z.map((_, j) => `h${j + 1}`), zRange: [-top, top], colorscale: DIVERGING,
        xTitle: characters ? "step:input" : "step", yTitle: "unit", showValues: z.length * steps.length <= 200,
        height: Math.min(560, Math.max(220, 60 + 14 * z.length)),
      }),
      drawProbe(this.gradient, probe, { update: snapshot.update, grad_h: snapshot.grad_h, grad_c: snapshot.grad_c ?? null }, null, 16),
      this.showForecast(snapshot),
    ]).then(() => undefined);
    return this.drawing;
  }

  /**
   * The snapshot's forecast, when it has one (the series task).
   * @param {Snapshot} snapshot
   * @returns {Promise<void>}
   */
  showForecast(snapshot) {
    this.forecast.figure.hidden = !snapshot.forecast;
    return snapshot.forecast ? drawForecast(this.forecast, snapshot.forecast, snapshot.update) : Promise.resolve();
  }
}
