/**
 * Traces and models from the API, typed for every page. A built-in model is traced with a
 * cacheable GET; a model stored in this browser (`local:<name>`, handoff.js) travels inline
 * in a POST.
 */
import { getJson, postJson } from "./api.js";
import { inlineModel, isLocalModel, loadLocalModel } from "./handoff.js";

/**
 * @typedef {{h: number[][], c: number[][] | null, gates: Record<string, number[][]>,
 *   input_proj: number[][] | null, hidden_proj: number[][] | null}} TraceLayer
 *   `input_proj` and `hidden_proj` (T, G*H) only when the request asks for projections
 * @typedef {{model: string, cell: import("./cells.js").Cell, vocab: string[], hidden_size: number,
 *   num_layers: number, nonlinearity: string, loss_mode: string, tokens: string[],
 *   targets: (string | null)[], layers: TraceLayer[], logits: number[][], probs: number[][],
 *   loss: (number | null)[], total_loss: number}} Trace
 * @typedef {{model: string, text: string, loss?: string, projections?: boolean,
 *   analysis?: boolean, backward?: boolean}} TraceRequest `model`: a built-in id or `local:<name>`
 * @typedef {import("./handoff.js").ModelSpec & {id: string, description: string}} ModelDetail
 * @typedef {number[] | number[][]} Tensor a weight or bias, or one step's term of its gradient
 * @typedef {{dh: number[][], dc: number[][] | null, dpre: Record<string, number[][]>}} LayerBackward
 *   (T, H) each: dL/dh_t, dL/dc_t (LSTM), dL/d(pre-activation) per gate (`a` for the RNN)
 * @typedef {Trace & {grads: LayerBackward[], dlogits: number[][],
 *   weight_grads: Record<string, {total: Tensor, by_step: Tensor[]}>}} BackwardTrace a trace
 *   requested with `backward: true`; `weight_grads` by PyTorch name, by_step summing to total
 */

/**
 * The GET address of a built-in model's trace (also its JSON download).
 * @param {TraceRequest} request
 * @returns {string}
 */
function traceUrl({ model, text, loss = "all", projections = false, analysis = false, backward = false }) {
  const params = new URLSearchParams({ model, text, loss });
  if (projections) params.set("projections", "true");
  if (analysis) params.set("analysis", "true");
  if (backward) params.set("backward", "true");
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
 * Point a "download the trace" link at it: the API's GET address for a built-in model, the
 * answer itself (a blob) for a model stored in this browser.
 * @param {HTMLAnchorElement} link
 * @param {TraceRequest} request
 * @param {Trace} trace
 */
export function linkTrace(link, request, trace) {
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = isLocalModel(request.model)
    ? URL.createObjectURL(new Blob([JSON.stringify(trace)], { type: "application/json" }))
    : traceUrl(request);
}

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
