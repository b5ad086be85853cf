/**
 * Traces and models from the API, typed for every page. A built-in model is traced with a
 * cacheable GET; a model stored in this browser (`local:<name>`, handoff.js) travels inline
 * in a POST. A page may draw the compact encoding (server/compact.py); what a reader downloads
 * is always the full float64 answer.
 */
import { getJson, postJson } from "./api.js";
import { saveFile } from "./dom.js";
import { inlineModel, isLocalModel, loadLocalModel } from "./handoff.js";

/**
 * @typedef {{h: number[][], c: number[][] | null, gates: Record<string, number[][]>,
 *   input_proj: number[][] | null, hidden_proj: number[][] | null, peephole?: number[] | null}} TraceLayer
 *   `input_proj` and `hidden_proj` (T, G*H) only when the request asks for projections;
 *   `peephole` (3H) w_ci | w_cf | w_co of a peephole LSTM
 * @typedef {{model: string, cell: import("./cells.js").Cell, vocab: string[], hidden_size: number,
 *   num_layers: number, nonlinearity: string, loss_mode: string, tokens: string[],
 *   targets: (string | null)[], layers: TraceLayer[], logits: number[][], probs: number[][],
 *   loss: (number | null)[], total_loss: number, output?: "next_token" | "class" | "value",
 *   classes?: string[] | null, label?: string | null, label_given?: boolean,
 *   input?: "one_hot" | "embedding" | "real", embedding_dim?: number | null, token_ids?: number[],
 *   embedded?: number[][] | null, features?: number | null, values?: number[][] | null,
 *   forecast?: {start: number, values: number[][]} | null}} Trace `output` "class": a
 *   many-to-one model, whose `logits` and `probs` (T, C) score `classes` after every step and
 *   whose one target is `label`, at the last step. `input` "embedding": a word model, whose
 *   tokens are words and whose x_t is `embedded[t]`, the row `token_ids[t]` of its embedding
 *   matrix. `input` "real" (output "value"): a series model, reading `values[t]` (T, features);
 *   its `logits[t]` predict x_{t+1} and its `probs` are null (only series-aware code reads it);
 *   `forecast` is its free-running forecast from step `start`, when asked for
 * @typedef {{model: string, text: string, loss?: string, projections?: boolean,
 *   analysis?: boolean, backward?: boolean, compact?: boolean, label?: string,
 *   forecast?: number}} TraceRequest
 *   `model`: a built-in id or `local:<name>`; `compact`: numbers rounded for display (a long
 *   text's trace is 3-4x smaller; any number written with up to 3 decimals is still the exact
 *   one's); `label`: a class model's class the loss is of (else its own answer)
 * @typedef {import("./handoff.js").ModelSpec & {id: string, description: string}} ModelDetail
 * @typedef {number[] | number[][]} Tensor a weight or bias, or one step's term of its gradient
 * @typedef {{dh: number[][], dc: number[][] | null, dpre: Record<string, number[][]>}} LayerBackward
 *   (T, H) each: dL/dh_t, dL/dc_t (LSTM), dL/d(pre-activation) per gate (`a` for the RNN)
 * @typedef {Trace & {grads: LayerBackward[], dlogits: number[][],
 *   weight_grads: Record<string, {total: Tensor, by_step: Tensor[]}>}} BackwardTrace a trace
 *   requested with `backward: true`; `weight_grads` by PyTorch name, by_step summing to total
 */

/**
 * The GET address of a built-in model's trace (also its JSON download, at full precision).
 * @param {TraceRequest} request
 * @returns {string}
 */
function traceUrl({ model, text, loss = "all", projections = false, analysis = false, backward = false, compact = false, label, forecast }) {
  const params = new URLSearchParams({ model, text, loss });
  if (label) params.set("label", label);
  if (forecast) params.set("forecast", String(forecast));
  if (projections) params.set("projections", "true");
  if (analysis) params.set("analysis", "true");
  if (backward) params.set("backward", "true");
  if (compact) params.set("compact", "true");
  return `/api/trace?${params}`;
}

/**
 * Run a model over a text.
 * @template {Trace} [T=Trace] what the request asks for (/explore's analysis: ExploreTrace)
 * @param {TraceRequest} request
 * @returns {Promise<T>}
 */
export async function fetchTrace(request) {
  if (!isLocalModel(request.model)) return getJson(traceUrl(request));
  return postJson("/api/trace", { ...request, model: inlineModel(loadLocalModel(request.model)) });
}

/**
 * Run a model over a text at full float64 precision (downloads, exports).
 * @template {Trace} [T=Trace]
 * @param {TraceRequest} request
 * @returns {Promise<T>}
 */
export function fetchFullTrace(request) {
  return fetchTrace({ ...request, compact: false });
}

/**
 * Point a "download the trace" link at the full-precision answer: the API's GET address for a
 * built-in model; for a model stored in this browser, a click asks for it (a POST) and saves it.
 * @param {HTMLAnchorElement} link
 * @param {TraceRequest} request
 */
export function linkTrace(link, request) {
  if (!isLocalModel(request.model)) {
    link.href = traceUrl({ ...request, compact: false });
    link.onclick = null;
    return;
  }
  link.href = "#";
  link.onclick = (event) => {
    event.preventDefault();
    fetchFullTrace(request).then((trace) => saveFile(JSON.stringify(trace), "application/json", "trace.json"));
  };
}

/**
 * What each logit of a trace scores: the vocabulary (the next character) or the classes.
 * @param {Trace} trace
 * @returns {string[]}
 */
export const outputLabels = (trace) => (trace.output === "class" && trace.classes ? trace.classes : trace.vocab);

/** @type {Map<string, Promise<ModelDetail>>} weights never change while a page is open */
const models = new Map();

/**
 * A model with its weights (`state_dict`, PyTorch names): a built-in one from the API, or one
 * stored in this browser.
 * @param {string} id
 * @returns {Promise<ModelDetail>}
 */
export function fetchModel(id) {
  if (isLocalModel(id)) return Promise.resolve().then(() => ({ ...loadLocalModel(id), id, description: "" }));
  let request = models.get(id);
  if (!request) {
    request = getJson(`/api/models/${encodeURIComponent(id)}`);
    request.catch(() => models.delete(id));
    models.set(id, request);
  }
  return request;
}
