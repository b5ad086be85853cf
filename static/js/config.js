/**
 * Colours, sizes and timings of every page, in one place.
 * Scales are colour-blind safe: PuOr (ColorBrewer) for signed values, Viridis for
 * probabilities, Okabe–Ito for categories.
 */

/** @typedef {[number, string][]} Colorscale Plotly's form: [fraction, "#rrggbb"] stops */

/** @type {Colorscale} diverging PuOr (orange = negative, purple = positive) for signed values */
export const DIVERGING = [
  [0.0, "#7f3b08"],
  [0.1, "#b35806"],
  [0.2, "#e08214"],
  [0.3, "#fdb863"],
  [0.4, "#fee0b6"],
  [0.5, "#f7f7f7"],
  [0.6, "#d8daeb"],
  [0.7, "#b2abd2"],
  [0.8, "#8073ac"],
  [0.9, "#542788"],
  [1.0, "#2d004b"],
];

/** @type {Colorscale} sequential Viridis for values in [0, 1] such as probabilities */
export const SEQUENTIAL = [
  [0.0, "#440154"],
  [0.1, "#482475"],
  [0.2, "#414487"],
  [0.3, "#355f8d"],
  [0.4, "#2a788e"],
  [0.5, "#21918c"],
  [0.6, "#22a884"],
  [0.7, "#44bf70"],
  [0.8, "#7ad151"],
  [0.9, "#bddf26"],
  [1.0, "#fde725"],
];

/** Okabe–Ito categorical colours, one per gate or series. */
export const CATEGORICAL = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];

/** @type {Record<string, string>} each gate's colour, the same across charts and pages */
export const GATE_COLOURS = {
  i: "#0072B2",
  f: "#E69F00",
  g: "#009E73",
  o: "#CC79A7",
  r: "#0072B2",
  z: "#E69F00",
  n: "#009E73",
};

/** @type {Record<import("./cells.js").Cell, string>} each cell's colour, on /gradients and /lab */
export const CELL_COLOURS = { rnn: CATEGORICAL[0], lstm: CATEGORICAL[1], gru: CATEGORICAL[2], peephole: CATEGORICAL[3] };

/** Chart palette (high contrast, projector friendly); the page's own colours are in the CSS. */
export const COLOURS = {
  text: "#111111",
  grid: "#d0d0d0",
  background: "#ffffff",
  highlight: "#D55E00",
  outline: "#111111", // the current step on a heatmap: black inside a white halo, seen on any colour
  outlineHalo: "#ffffff",
};

/** A series model's forecast charts (/explore, /lab), Okabe–Ito: the series, one step, free running. */
export const FORECAST_COLOURS = { actual: "#888888", oneStep: "#0072B2", free: "#D55E00", start: "#111111" };

/** Fonts and chart sizes in CSS pixels. */
export const SIZES = {
  font: 18,
  presenterFont: 22, // the presenter view's (present.js)
  chartHeight: 300,
  smallChartHeight: 220,
};

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

/** Timings in milliseconds (no chart transitions when the user asks for reduced motion). */
export const TIMINGS = {
  transition: reducedMotion ? 0 : 350,
  playInterval: 1100,
  typingDebounce: 300,
};

/** Significant decimals when numbers are written out (equations, labels). */
export const DECIMALS = 3;

/** The /explore page: sizes and timings of the time cursor and its panels. */
export const EXPLORE = {
  topK: 5, // next-character predictions listed per step
  playInterval: 90, // milliseconds per step while playing
  urlDelay: 250, // milliseconds after the last cursor move before the URL is rewritten
  heatmapRowPixels: 3, // height of one unit's row in a units × time heatmap
  heatmapMinHeight: 170,
  heatmapMaxHeight: 420,
  rankedUnits: 5, // units listed per feature by "find units"
};

/**
 * Connectivity colours as in Madsen's Distill article: each step's values divided by their
 * maximum, then drawn on the middle part of Viridis (0.29 to 2/3) so text stays readable.
 */
export const CONNECTIVITY_SCALE = { scale: SEQUENTIAL, low: 0.29, high: 2 / 3 };

/** The /lab page: colours and line styles of its series (Okabe–Ito), and redraw timings. */
export const LAB = {
  loss: "#0072B2",
  norm: "#009E73",
  clipped: "#D55E00", // updates whose gradient was clipped
  metric: "#CC79A7",
  threshold: "#111111", // solved line, clipping threshold
  chance: "#777777",
  reference: "#999999", // the first probe of a run, under the current one
  layers: ["#0072B2", "#E69F00", "#009E73"], // probe curves per layer
  // a dash and marker per cell (its colour is CELL_COLOURS'), so lines that coincide (two cells
  // at 100 %) stay visible
  cellLines: {
    rnn: { dash: "solid", symbol: "circle", size: 12 },
    lstm: { dash: "dash", symbol: "square", size: 16 },
    gru: { dash: "dot", symbol: "diamond", size: 12 },
    peephole: { dash: "dashdot", symbol: "triangle-up", size: 14 },
  },
  tableRefresh: 1000, // ms between refreshes of an open data table while a run streams
  drawInterval: 200, // ms between redraws of the live charts (points arrive ~20 times a second)
  drawShare: 0.25, // at most this share of the time goes to redrawing them
};
