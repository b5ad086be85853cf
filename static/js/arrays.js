/**
 * Small helpers on the vectors and matrices of a trace (plain arrays of numbers).
 */

/**
 * Index of the largest value (the first, on a tie).
 * @param {number[]} values
 * @returns {number}
 */
export function argmax(values) {
  return values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
}

/**
 * @param {number[][]} matrix (rows, columns)
 * @returns {number[][]} (columns, rows)
 */
export function transpose(matrix) {
  return matrix[0].map((_, j) => matrix.map((row) => row[j]));
}
