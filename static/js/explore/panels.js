/**
 * Every panel of /explore, driven by one time cursor. Work is split by what changes:
 * - a new trace or layer redraws the big charts once (heatmaps, gradient curve, saturation,
 *   unit ranking, the text's unit colours);
 * - a cursor move touches only overlay marks, the two text views' changed characters, and
 *   the bars of two small SVG charts (gates at this step, top-k predictions): no Plotly call;
 * - a unit change recolours the text and moves the row marks.
 * Hidden panels are skipped and drawn when shown again.
 */
import { argmax } from "../arrays.js";
import { SIGMOID_GATES } from "../cells.js";
import { colourAt } from "../charts/scale.js";
import { DIVERGING, SEQUENTIAL } from "../config.js";
import { byId, formatNumber, showChar } from "../dom.js";
import { layerEquations } from "../equations.js";
import { ConnectivityPanel } from "./connectivity.js";
import { addImageButtons } from "./exporter.js";
import { outputLabels } from "../trace.js";
import { ClassCurve } from "./classcurve.js";
import { formatLog10, GradientCurve } from "./gradcurve.js";
import { TimeHeatmap } from "./heatmaps.js";
import { SaturationScatter } from "./saturation.js";
import { describeSeriesStep, SeriesCurve } from "./seriescurve.js";
import { GateBars, LookupBars, TopK, topIndices } from "./stepcharts.js";
import { TextView } from "./textview.js";
import { UnitFinder } from "./units.js";

/**
 * @typedef {{trace: import("./data.js").ExploreTrace, layer: number, unit: number,
 *   series: "h" | "c", notation: string, generation: import("./data.js").Generation | null}} View
 */

/**
 * The largest absolute value of a matrix or vector.
 * @param {number[][] | number[]} values
 */
function maxAbs(values) {
  let top = 0;
  for (const v of values.flat()) top = Math.max(top, Math.abs(v));
  return top;
}

/** The top-k chart's title and description, for next-character, next-word and class models. */
const NEXT_TOP = ["Next character: the most probable", "At the cursor step; the outlined bar is the true next character."];
const NEXT_WORD_TOP = ["Next word: the most probable", "At the cursor step; the outlined bar is the true next word."];
const CLASS_TOP = ["Class: the most probable", "After reading up to the cursor step; the outlined bar is the label, scored at the last step."];

/**
 * What one step reads: a character, a word model's word, or a series model's step.
 * @param {import("./data.js").ExploreTrace} trace
 */
const tokenName = (trace) => (trace.input === "embedding" ? "word" : trace.input === "real" ? "step" : "character");

/**
 * A series model's forecast data from its trace: x_t, the one-step predictions, the loss and
 * the free-running forecast.
 * @param {import("./data.js").ExploreTrace} trace
 */
const seriesOf = (trace) => ({
  values: trace.values ?? [], predictions: trace.logits, loss: trace.loss, forecast: trace.forecast ?? null,
});

export class ExplorePanels {
  /**
   * @param {{onCursor: (t: number) => void, onUnit: (series: "h" | "c", unit: number) => void}} actions
   */
  constructor(actions) {
    const { onCursor, onUnit } = actions;
    /** @param {number} t @param {number} unit */
    const pick = (t, unit) => {
      onUnit(this.view?.series ?? "h", unit);
      onCursor(t);
    };
    this.unitText = new TextView(byId("text-view"), onCursor);
    this.connectivity = new ConnectivityPanel({
      view: byId("connectivity-view"), sentence: byId("connectivity-sentence"),
      details: byId("connectivity-data", HTMLDetailsElement), table: byId("connectivity-table", HTMLTableElement),
    }, onCursor);
    this.topK = new TopK(byId("predictions-chart"), {
      id: "chart-topk", title: NEXT_TOP[0], width: 600, height: 330, description: NEXT_TOP[1],
    });
    this.classes = new ClassCurve(byId("class-chart"), {
      id: "chart-classes", title: "Class probabilities after every character", height: 360,
      description: "p(class | the text up to step t), the readout of every h_t; only the last step is scored. The thick line is the label.",
    }, onCursor);
    this.series = new SeriesCurve(byId("series-chart"), {
      id: "chart-series", title: "The forecast against the series", height: 400,
      description: "Grey: the series. Blue: the one-step prediction, made from the true values up to the step before. Orange, dashed: free running, the model reading its own predictions from the marked step on. Click a point to move the cursor.",
    }, onCursor);
    this.lookup = new LookupBars(byId("lookup-chart"), {
      id: "chart-lookup", title: "The embedding lookup: x_t", width: 800, height: 260,
      description: "A word model's input at the cursor: the row of its embedding matrix E for the word read.",
    });
    this.hidden = new TimeHeatmap(byId("states-charts"), {
      id: "chart-h", title: "Hidden state h_t (units × steps)",
      description: "Click a cell: cursor to its step, its unit selected.",
    }, (t, unit) => {
      onUnit("h", unit);
      onCursor(t);
    });
    this.cell = new TimeHeatmap(byId("states-charts"), {
      id: "chart-c", title: "Cell state c_t (LSTM; units × steps)",
    }, (t, unit) => {
      onUnit("c", unit);
      onCursor(t);
    });
    /** @type {Map<string, TimeHeatmap>} one per gate name met so far */
    this.gateMaps = new Map();
    this.gateBars = new GateBars(byId("gate-bars"), {
      id: "chart-gate-bars", title: "Gates at the cursor step",
      description: "Every unit's gate values; the marked column is the selected unit.",
    }, (unit) => onUnit(this.view?.series ?? "h", unit));
    this.gradients = new GradientCurve(byId("gradients-chart"), {
      id: "chart-gradients", title: "Gradient norms per step (log scale)", height: 380,
      description: "log10 norms from the API, exact below 10^-308; exactly-zero norms are crosses on their own line (— in the table).",
    }, onCursor);
    this.saturation = new SaturationScatter(byId("saturation-chart"), {
      id: "chart-saturation", title: "Gate saturation over the text",
      description: "One point per gate unit. Click a point to select its unit.",
    }, (unit) => onUnit(this.view?.series ?? "h", unit));
    this.finder = new UnitFinder(byId("units-list"), onUnit);
    this.onPick = pick;
    for (const chart of [this.topK, this.classes, this.series, this.lookup, this.hidden, this.cell, this.gateBars, this.gradients, this.saturation]) {
      addImageButtons(chart);
    }
    /** @type {View | null} */
    this.view = null;
    /** The cursor's step, for a chart drawn after the cursor moved */
    this.cursorStep = 0;
    /** @type {Set<string>} */
    this.shown = new Set();
    /** Panels drawn for the current trace, layer and unit. */
    this.fresh = new Set();
    /** @type {string[] | null} the tokens the unit text view was built for */
    this.unitTokens = null;
  }

  /**
   * Choose which panels show; newly shown panels are drawn.
   * @param {Set<string>} shown
   */
  setShown(shown) {
    this.shown = shown;
    for (const panel of this.fresh) if (!shown.has(panel)) this.fresh.delete(panel); // stale once hidden
    for (const section of document.querySelectorAll("section")) {
      if (section.dataset.panel) section.hidden = !shown.has(section.dataset.panel);
    }
  }

  /** Forget what is drawn: a new trace or layer. */
  invalidate() {
    this.fresh.clear();
  }

  /**
   * Draw what a new trace, layer, unit or notation needs, in the panels shown and not yet fresh.
   * @param {View} view
   * @returns {Promise<unknown>}
   */
  drawView(view) {
    this.view = view;
    const draws = [];
    for (const panel of this.shown) {
      if (this.fresh.has(panel)) continue;
      this.fresh.add(panel);
      draws.push(this.drawPanel(panel, view));
    }
    return Promise.all(draws);
  }

  /**
   * @param {string} panel
   * @param {View} view
   * @returns {Promise<unknown> | void}
   */
  drawPanel(panel, view) {
    const { trace, layer } = view;
    const data = trace.layers[layer];
    switch (panel) {
      case "text":
        byId("text-title").textContent = `The ${trace.input === "real" ? "series" : "text"}, coloured by one unit`;
        if (this.unitText.spans.length !== trace.tokens.length || this.unitTokens !== trace.tokens) {
          this.unitText.build(trace.tokens, trace.input !== "one_hot"); // words and numbers keep apart
          this.unitTokens = trace.tokens;
        }
        return this.paintUnit(view);
      case "connectivity":
        this.connectivity.build(trace);
        return undefined;
      case "predictions": {
        const isClass = trace.output === "class";
        const isSeries = trace.output === "value";
        this.classes.figure.hidden = !isClass;
        this.series.figure.hidden = !isSeries;
        this.topK.figure.hidden = isSeries;
        if (isSeries) {
          byId("predictions-title").textContent = "The forecast: one step, and free running";
          return this.series.draw(seriesOf(trace)).then(() => this.series.setCursor(this.cursorStep));
        }
        const [title, description] = isClass ? CLASS_TOP : trace.input === "embedding" ? NEXT_WORD_TOP : NEXT_TOP;
        this.topK.retitle(title, description);
        byId("predictions-title").textContent = isClass ? "The class, read up to the cursor" : "The prediction at the cursor";
        if (!isClass) return undefined;
        const curve = { classes: outputLabels(trace), probs: trace.probs, tokens: trace.tokens, label: trace.label ?? null };
        return this.classes.draw(curve).then(() => this.classes.setCursor(this.cursorStep));
      }
      case "states":
        byId("lookup").hidden = !trace.embedded;
        this.cell.figure.hidden = data.c === null;
        return Promise.all([
          this.hidden.draw({ values: data.h, tokens: trace.tokens, zRange: this.stateRange(data.h, trace), colorscale: DIVERGING, name: "h" }),
          data.c ? this.cell.draw({ values: data.c, tokens: trace.tokens, zRange: [-maxAbs(data.c) || -1, maxAbs(data.c) || 1], colorscale: DIVERGING, name: "c" }) : null,
        ]).then(() => this.markUnit(view));
      case "gates":
        return this.drawGateMaps(view);
      case "gradients": {
        const g = trace.grads[layer];
        const series = [{ name: `‖∂L/∂h_t‖ layer ${layer}`, values: g.h }];
        if (g.c) series.push({ name: `‖∂L/∂c_t‖ layer ${layer}`, values: g.c });
        series.push({ name: "‖∂L/∂x_t‖ input", values: trace.grads_input });
        return this.gradients.draw(series);
      }
      case "units":
        this.finder.show(trace.analysis.correlations[layer], Object.keys(trace.analysis.features));
        this.finder.markSelected(view.series, view.unit);
        return undefined;
      case "saturation": {
        const saturation = trace.analysis.saturation[layer];
        const gated = Object.keys(saturation).length > 0;
        byId("saturation-none").hidden = gated;
        this.saturation.figure.hidden = !gated;
        return gated ? this.saturation.update(saturation, view.unit) : undefined;
      }
      case "equations":
        byId("equations").replaceChildren(...layerEquations(trace, layer, view.notation));
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * The colour range of h: [−1, 1] for tanh-bounded states, wider if a ReLU RNN exceeds it.
   * @param {number[][]} h
   * @param {import("./data.js").ExploreTrace} trace
   * @returns {[number, number]}
   */
  stateRange(h, trace) {
    const top = trace.cell === "rnn" && trace.nonlinearity === "relu" ? Math.max(maxAbs(h), 1e-9) : 1;
    return [-top, top];
  }

  /** @param {View} view */
  async drawGateMaps(view) {
    const { trace, layer } = view;
    const gates = trace.layers[layer].gates;
    const names = Object.keys(gates);
    for (const [name, chart] of this.gateMaps) chart.figure.hidden = !names.includes(name);
    byId("gates-none").hidden = names.length > 0;
    this.gateBars.figure.hidden = names.length === 0;
    const draws = names.map((name) => {
      let chart = this.gateMaps.get(name);
      if (!chart) {
        chart = new TimeHeatmap(byId("gate-maps"), {
          id: `chart-gate-${name}`, title: `Gate ${name}_t (units × steps)`,
        }, this.onPick);
        addImageButtons(chart);
        this.gateMaps.set(name, chart);
      }
      const sigmoid = SIGMOID_GATES.has(name);
      return chart.draw({
        values: gates[name], tokens: trace.tokens, zRange: sigmoid ? [0, 1] : [-1, 1],
        colorscale: sigmoid ? SEQUENTIAL : DIVERGING, name: `gate ${name}`,
      });
    });
    await Promise.all(draws);
    this.markUnit(view);
  }

  /**
   * Colour the text by the selected unit's activation over the whole text.
   * @param {View} view
   */
  paintUnit(view) {
    const { trace, layer, unit, series } = view;
    const data = trace.layers[layer];
    const matrix = series === "c" && data.c ? data.c : data.h;
    const values = matrix.map((row) => row[unit]);
    const top = series === "c" ? Math.max(maxAbs(values), 1e-9) : this.stateRange(data.h, trace)[1];
    this.unitText.paint((t) => ({
      background: colourAt(DIVERGING, values[t], -top, top),
      value: String(values[t]),
      title: `step ${t} “${showChar(trace.tokens[t])}”: ${series} unit ${unit} = ${formatNumber(values[t], 3)}`,
    }));
    byId("unit-legend").textContent = `${series}_t of unit ${unit}, layer ${layer}: orange ${formatNumber(-top, 2)} · white 0 · purple ${formatNumber(top, 2)}`;
  }

  /**
   * Move the row marks and recolour what depends on the selected unit.
   * @param {View} view
   */
  showUnit(view) {
    this.view = view;
    if (this.shown.has("text") && this.fresh.has("text")) this.paintUnit(view);
    this.markUnit(view);
    if (this.shown.has("units")) this.finder.markSelected(view.series, view.unit);
    if (this.shown.has("saturation") && this.fresh.has("saturation")) {
      const saturation = view.trace.analysis.saturation[view.layer];
      if (Object.keys(saturation).length > 0) return this.saturation.update(saturation, view.unit);
    }
    return Promise.resolve();
  }

  /** @param {View} view */
  markUnit(view) {
    this.hidden.setUnit(view.series === "h" ? view.unit : null);
    this.cell.setUnit(view.series === "c" ? view.unit : null);
    for (const chart of this.gateMaps.values()) chart.setUnit(view.unit);
    this.gateBars.markSlot(view.unit);
  }

  /**
   * Everything that follows the cursor (synchronous: marks, text colours and SVG bars).
   * @param {number} t
   */
  showCursor(t) {
    const view = this.view;
    if (!view) return;
    const { trace, layer } = view;
    if (this.shown.has("text")) this.unitText.setCursor(t);
    if (this.shown.has("connectivity")) this.connectivity.show(t);
    this.cursorStep = t;
    if (this.shown.has("predictions") && trace.output === "value") {
      const line = byId("prediction");
      line.textContent = describeSeriesStep(seriesOf(trace), t);
      line.dataset.predicted = String(trace.logits[t][0]);
      line.dataset.target = trace.values && t + 1 < trace.values.length ? String(trace.values[t + 1][0]) : "";
      this.series.setCursor(t);
    } else if (this.shown.has("predictions")) {
      this.describePrediction(view, t);
      const isClass = trace.output === "class";
      this.topK.show({
        vocab: outputLabels(trace), probs: trace.probs[t], target: isClass ? trace.label ?? null : trace.targets[t],
        xTitle: isClass ? "class" : `next ${tokenName(trace)}`,
      });
      if (isClass) this.classes.setCursor(t);
    }
    if (this.shown.has("states")) {
      this.hidden.setCursor(t);
      this.cell.setCursor(t);
      if (trace.embedded) this.showLookup(trace, t);
    }
    if (this.shown.has("gates")) {
      const gates = trace.layers[layer].gates;
      for (const chart of this.gateMaps.values()) chart.setCursor(t);
      if (Object.keys(gates).length > 0) {
        this.gateBars.show(Object.fromEntries(Object.entries(gates).map(([g, rows]) => [g, rows[t]])));
        this.gateBars.markSlot(view.unit);
      }
    }
    if (this.shown.has("gradients")) {
      this.gradients.setCursor(t);
      this.describeGradients(view, t);
    }
  }

  /**
   * @param {View} view
   * @param {number} t
   */
  describePrediction({ trace, generation }, t) {
    if (trace.output === "class") {
      this.describeClass(trace, t);
      return;
    }
    const probs = trace.probs[t];
    const best = argmax(probs);
    const target = trace.targets[t];
    const line = byId("prediction");
    line.dataset.predicted = trace.vocab[best];
    line.dataset.target = target ?? "";
    let text = `Step ${t}: reads “${showChar(trace.tokens[t])}”, predicts “${showChar(trace.vocab[best])}” ` +
      `(p = ${formatNumber(probs[best], 3)})`;
    if (target !== null) {
      const k = trace.vocab.indexOf(target);
      const rank = topIndices(probs, probs.length).indexOf(k) + 1;
      text += `; the next ${tokenName(trace)} is “${showChar(target)}” (p = ${formatNumber(probs[k], 3)}, ` +
        `rank ${rank}, loss ${formatNumber(trace.loss[t], 3)})`;
    } else {
      text += `; this is the last ${tokenName(trace)}`;
    }
    const g = generation && generation.text === trace.tokens.join("") ? generation : null;
    const sampled = g ? t - (g.prompt.length - 1) : -1;
    if (g && sampled >= 0 && sampled < g.steps.length) {
      const step = g.steps[sampled];
      text += ` — generated: sampled “${showChar(step.char)}”, p = ${formatNumber(step.prob, 3)} under the ` +
        `model, ${formatNumber(step.sample_prob, 3)} at temperature ${g.temperature}`;
    }
    line.textContent = `${text}.`;
  }

  /**
   * A word model's input at step t: the row of its embedding matrix the word looks up.
   * @param {import("./data.js").ExploreTrace} trace
   * @param {number} t
   */
  showLookup(trace, t) {
    const row = trace.embedded?.[t] ?? [];
    const id = trace.token_ids?.[t] ?? -1;
    const sentence = byId("lookup-sentence");
    sentence.dataset.row = String(id);
    sentence.textContent = `Step ${t} reads “${trace.tokens[t]}”: x_t = E[${id}], row ${id} of the embedding ` +
      `matrix E (${trace.vocab.length} words × ${row.length} dimensions), is what the cell reads.`;
    this.lookup.show(row);
  }

  /**
   * A class model at step t: its answer so far, and at the last step the scored label.
   * @param {import("./data.js").ExploreTrace} trace
   * @param {number} t
   */
  describeClass(trace, t) {
    const classes = outputLabels(trace);
    const probs = trace.probs[t];
    const best = argmax(probs);
    const label = trace.label ?? "";
    const line = byId("prediction");
    line.dataset.predicted = classes[best];
    line.dataset.target = label;
    const read = trace.tokens.slice(0, t + 1).map(showChar).join("");
    let text = `Step ${t}: after reading “${read}”, the most probable class is “${classes[best]}” ` +
      `(p = ${formatNumber(probs[best], 3)})`;
    const p = probs[classes.indexOf(label)];
    const whose = trace.label_given ? "the label chosen" : "the model's own answer at the end";
    if (t === trace.tokens.length - 1) {
      text += `; the loss is scored here, for “${label}” (${whose}): p = ${formatNumber(p, 3)}, ` +
        `loss ${formatNumber(trace.loss[t] ?? 0, 3)}`;
    } else {
      text += `; p(“${label}”, ${whose}) = ${formatNumber(p, 3)} so far, not scored until the last step`;
    }
    line.textContent = `${text}.`;
  }

  /**
   * @param {View} view
   * @param {number} t
   */
  describeGradients({ trace, layer }, t) {
    const g = trace.grads[layer];
    const parts = [`‖∂L/∂h_t‖ = ${formatLog10(g.h[t])}`];
    if (g.c) parts.push(`‖∂L/∂c_t‖ = ${formatLog10(g.c[t])}`);
    parts.push(`‖∂L/∂x_t‖ = ${formatLog10(trace.grads_input[t])}`);
    const line = byId("gradients-sentence");
    const loss = trace.output === "class" ? `the loss of class “${trace.label}” at the last step`
      : `${trace.output === "value" ? "squared-error " : ""}loss over ${trace.loss_mode === "all" ? "all steps" : "the last target"}`;
    line.textContent = `At step ${t} (layer ${layer}, ${loss}): ${parts.join(", ")}.`;
    line.dataset.log10 = JSON.stringify([g.h[t], g.c ? g.c[t] : null, trace.grads_input[t]]);
  }
}
