/**
 * A class model's confidence as it reads: p(class | the text up to step t) for every class at
 * every step, one line per class (the readout applied to every h_t; only the last step's is
 * scored). Drawn once per trace; the cursor is an overlay.
 */
import { CATEGORICAL, COLOURS } from "../config.js";
import { showChar } from "../dom.js";
import { StepChart } from "./overlay.js";

export class ClassCurve extends StepChart {
  /**
   * @param {{classes: string[], probs: number[][], tokens: string[], label: string | null}} data
   *   probs (T, C); `label` the class the loss is of, drawn thicker
   */
  async draw({ classes, probs, tokens, label }) {
    const x = tokens.map((_, t) => t);
    const ticks = tokens.map((ch, t) => `${t}:${showChar(ch)}`);
    const traces = classes.map((name, k) => ({
      type: "scatter",
      mode: tokens.length <= 60 ? "lines+markers" : "lines",
      name: name === label ? `${name} (label)` : name,
      x,
      y: probs.map((row) => row[k]),
      line: { color: CATEGORICAL[k % CATEGORICAL.length], width: name === label ? 5 : 2, dash: k < 6 ? "solid" : "dot" },
      hovertemplate: `p(${name}) after step %{x}: %{y:.3f}<extra></extra>`,
    }));
    const layout = {
      showlegend: true,
      legend: { orientation: "h", yanchor: "bottom", y: 1.02, x: 0 },
      margin: { l: 64, r: 12, t: 56, b: 64 },
      xaxis: {
        range: [-0.5, tokens.length - 0.5], title: { text: "step: character read" }, fixedrange: true, zeroline: false,
        tickvals: tokens.length <= 40 ? x : undefined, ticktext: tokens.length <= 40 ? ticks : undefined,
      },
      yaxis: { range: [0, 1.02], title: { text: "probability" }, gridcolor: COLOURS.grid, fixedrange: true },
    };
    const table = {
      corner: "p(class) \\ step",
      columns: ticks,
      rows: classes.map((name, k) => ({ label: name, values: probs.map((row) => row[k]) })),
    };
    await this.drawSteps(traces, layout, table);
  }
}
