/**
 * Fetching and shaping data from the JSON API, apart from any drawing.
 */

/** An API error carrying the server's human-readable message. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   */
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/**
 * The readable message of an error body: FastAPI's `detail` is a string or a list of
 * `{loc, msg, type}`.
 * @param {any} body
 * @param {number} status
 * @returns {string}
 */
function errorMessage(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return detail.map((item) => item.msg ?? JSON.stringify(item)).join("; ");
  }
  return `the server answered ${status}`;
}

/**
 * GET a JSON document; throw an ApiError with the server's message on failure.
 * @param {string} url
 * @returns {Promise<any>}
 */
export async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(errorMessage(body, response.status), response.status);
  return body;
}

/**
 * POST a JSON body (or a FormData as multipart) and read the JSON answer; throw an ApiError
 * with the server's message on failure.
 * @param {string} url
 * @param {object | FormData} payload
 * @returns {Promise<any>}
 */
export async function postJson(url, payload) {
  const form = payload instanceof FormData;
  const response = await fetch(url, {
    method: "POST",
    headers: form ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
    body: form ? payload : JSON.stringify(payload),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(errorMessage(body, response.status), response.status);
  return body;
}

/**
 * @typedef {{h: number[][], c: number[][] | null, gates: Record<string, number[][]>,
 *   input_proj: number[][] | null, hidden_proj: number[][] | null}} TraceLayer
 * @typedef {{model: string, cell: "rnn" | "lstm" | "gru", vocab: string[], hidden_size: number,
 *   num_layers: number, nonlinearity: string, tokens: string[], targets: (string | null)[],
 *   layers: TraceLayer[], logits: number[][], probs: number[][], loss: (number | null)[],
 *   total_loss: number}} Trace
 */

/**
 * Run a built-in model over a text.
 * @param {{model: string, text: string, loss?: "all" | "last", projections?: boolean}} request
 * @returns {Promise<Trace>}
 */
export function fetchTrace(request) {
  return getJson(traceUrl(request));
}

/**
 * The GET address of a trace (also a JSON download link).
 * @param {{model: string, text: string, loss?: "all" | "last", projections?: boolean}} request
 * @returns {string}
 */
export function traceUrl({ model, text, loss = "all", projections = false }) {
  const params = new URLSearchParams({ model, text, loss, projections: String(projections) });
  return `/api/trace?${params}`;
}

/** @type {Map<string, Promise<any>>} weights never change while a page is open */
const modelCache = new Map();

/**
 * A built-in model with its weights (`state_dict`, PyTorch names).
 * @param {string} id
 * @returns {Promise<{id: string, cell: string, vocab: string[], hidden_size: number,
 *   state_dict: Record<string, number[][] | number[]>}>}
 */
export function fetchModel(id) {
  if (!modelCache.has(id)) {
    const request = getJson(`/api/models/${encodeURIComponent(id)}`);
    request.catch(() => modelCache.delete(id));
    modelCache.set(id, request);
  }
  return /** @type {Promise<any>} */ (modelCache.get(id));
}

/** Gate names of each cell, in PyTorch's chunk order along the first weight axis. */
export const CELL_GATES = { rnn: [""], lstm: ["i", "f", "g", "o"], gru: ["r", "z", "n"] };

/**
 * Split a (G*H)-long row of stacked gate values into one H-long slice per gate.
 * @param {number[]} row
 * @param {string[]} gates
 * @param {number} hidden
 * @returns {Record<string, number[]>}
 */
export function splitGates(row, gates, hidden) {
  return Object.fromEntries(gates.map((g, k) => [g, row.slice(k * hidden, (k + 1) * hidden)]));
}

/**
 * Row labels of a stacked (G*H)-row weight matrix: `h1 h2 …` for an RNN, `i1 … o3` for an LSTM.
 * @param {string} cell
 * @param {number} hidden
 * @returns {string[]}
 */
export function gateRowLabels(cell, hidden) {
  const gates = CELL_GATES[/** @type {"rnn" | "lstm" | "gru"} */ (cell)];
  return gates.flatMap((g) =>
    Array.from({ length: hidden }, (_, j) => `${g === "" ? "h" : g}${j + 1}`),
  );
}

/**
 * Index of the largest value.
 * @param {number[]} values
 * @returns {number}
 */
export function argmax(values) {
  return values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
}
