/**
 * Map numbers to colours on a Plotly-style colour scale ([[fraction, "#rrggbb"], ...]).
 * Bars get explicit colours, so Plotly can animate them between steps.
 */

/**
 * @param {string} hex "#rrggbb"
 * @returns {number[]}
 */
function rgb(hex) {
  return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
}

/**
 * The colour of `value` on `scale` between `min` and `max` (clamped).
 * @param {Array<[number, string]>} scale
 * @param {number} value
 * @param {number} min
 * @param {number} max
 * @returns {string} "rgb(r, g, b)"
 */
export function colourAt(scale, value, min, max) {
  const f = Math.min(Math.max((value - min) / (max - min || 1), 0), 1);
  let k = 1;
  while (k < scale.length - 1 && scale[k][0] < f) k += 1;
  const [f0, c0] = scale[k - 1];
  const [f1, c1] = scale[k];
  const w = (f - f0) / (f1 - f0 || 1);
  const [a, b] = [rgb(c0), rgb(c1)];
  const mixed = a.map((v, i) => Math.round(v + w * (b[i] - v)));
  return `rgb(${mixed.join(", ")})`;
}
