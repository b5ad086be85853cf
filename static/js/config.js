/**
 * Colours, sizes and timings of every page, in one place.
 * Scales are colour-blind safe: PuOr (ColorBrewer) for signed values, Viridis for
 * probabilities, Okabe–Ito for categories.
 */

/** Diverging PuOr scale (orange = negative, purple = positive) for signed values. */
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

/** Sequential Viridis scale for values in [0, 1] such as probabilities. */
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

/** Colour of each named gate, so a gate keeps its colour across charts and pages. */
export const GATE_COLOURS = {
  i: "#0072B2",
  f: "#E69F00",
  g: "#009E73",
  o: "#CC79A7",
  r: "#0072B2",
  z: "#E69F00",
  n: "#009E73",
};

/** Chart palette (high contrast, projector friendly); the page's own colours are in the CSS. */
export const COLOURS = {
  text: "#111111",
  grid: "#d0d0d0",
  background: "#ffffff",
  highlight: "#D55E00",
};

/** Fonts and chart sizes in CSS pixels. */
export const SIZES = {
  font: 18,
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
