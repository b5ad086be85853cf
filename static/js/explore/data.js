/**
 * The data of /explore: the zoo, traces with analysis, generation and model import.
 * Built-in models are traced with a cacheable GET; a model stored in this browser
 * (`local:<name>`) travels inline in a POST.
 */
import { getJson, postJson } from "../api.js";
import { inlineModel, isLocalModel, loadLocalModel } from "../handoff.js";

/**
 * @typedef {{connectivity: {logit: string[], log10: (number | null)[][]},
 *   saturation: Record<string, {left: number[], right: number[]}>[],
 *   features: Record<string, number[]>,
 *   correlations: {h: Record<string, (number | null)[]>, c: Record<string, (number | null)[]> | null}[]}}
 *   Analysis
 * @typedef {import("../api.js").Trace & {analysis: Analysis,
 *   grads: {h: (number | null)[], c: (number | null)[] | null}[], grads_input: (number | null)[]}}
 *   ExploreTrace
 * @typedef {{id: string, title: string, description: string, cell: string, vocab: string[],
 *   hidden_size: number, num_layers: number, final_loss: number, corpus?: string, sample?: string,
 *   training: Record<string, any>}} ZooModel
 */

/** @returns {Promise<ZooModel[]>} every built-in model */
export async function fetchZoo() {
  const body = await getJson("/api/models");
  return body.models;
}

/**
 * The GET address of a built-in model's trace with analysis (also the JSON download link).
 * @param {{model: string, text: string, loss: string}} request
 * @returns {string}
 */
export function traceAddress({ model, text, loss }) {
  return `/api/trace?${new URLSearchParams({ model, text, loss, analysis: "true" })}`;
}

/**
 * Trace a text with every internal and the analysis.
 * @param {{model: string, text: string, loss: string}} request
 * @returns {Promise<ExploreTrace>}
 */
export function fetchTrace({ model, text, loss }) {
  if (!isLocalModel(model)) return getJson(traceAddress({ model, text, loss }));
  const spec = inlineModel(loadLocalModel(model));
  return postJson("/api/trace", { model: spec, text, loss, analysis: true });
}

/**
 * @typedef {{char: string, prob: number, sample_prob: number, top: {char: string, prob: number}[]}}
 *   GeneratedStep `prob` under the model (temperature 1), `sample_prob` at the sampling temperature
 * @typedef {{model: string, prompt: string, text: string, generated: string, temperature: number,
 *   seed: number, steps: GeneratedStep[]}} Generation
 */

/**
 * Sample text from a model, one character at a time, each fed back as the next input.
 * @param {{model: string, prompt: string, length: number, temperature: number, seed: number}} request
 * @returns {Promise<Generation>}
 */
export function generate({ model, ...rest }) {
  const spec = isLocalModel(model) ? inlineModel(loadLocalModel(model)) : model;
  return postJson("/api/generate", { model: spec, ...rest });
}

/**
 * Validate an uploaded state_dict (safetensors or torch.save) into a model spec.
 * @param {FormData} form `file`, `vocab`, and optionally `cell`, `nonlinearity`, `prefix`, `readout`
 * @returns {Promise<any>} the spec, with `gates` (rows of each gate) and `source`
 */
export function importModel(form) {
  return postJson("/api/models/import", form);
}
