/**
 * The data of /explore besides traces (`../trace.js`): the zoo, generation and model import.
 * A model stored in this browser (`local:<name>`) travels inline.
 */
import { getJson, postJson } from "../api.js";
import { inlineModel, isLocalModel, loadLocalModel } from "../handoff.js";

/**
 * @typedef {{connectivity: {logit: string[], log10: (number | null)[][]},
 *   saturation: Record<string, {left: number[], right: number[]}>[],
 *   features: Record<string, number[]>,
 *   correlations: {h: Record<string, (number | null)[]>, c: Record<string, (number | null)[]> | null}[]}}
 *   Analysis
 * @typedef {import("../trace.js").Trace & {analysis: Analysis,
 *   grads: {h: (number | null)[], c: (number | null)[] | null}[], grads_input: (number | null)[]}}
 *   ExploreTrace a trace asked for with `analysis`
 * @typedef {{id: string, title: string, description: string, cell: string, vocab: string[],
 *   hidden_size: number, num_layers: number, final_loss: number, corpus?: string, sample?: string,
 *   output?: string, classes?: string[] | null, sample_label?: string | null, input?: string,
 *   features?: number | null,
 *   training: {steps?: number, held_out_accuracy?: number, persistence_loss?: number}}} ZooModel
 */

/**
 * A generated series (GET /api/series): its values and the text a series model reads.
 * @param {{kind: string, length: number, noise: number, seed: number}} settings
 * @returns {Promise<{values: number[], text: string}>}
 */
export function fetchSeries({ kind, length, noise, seed }) {
  const params = new URLSearchParams({ kind, length: String(length), noise: String(noise), seed: String(seed) });
  return getJson(`/api/series?${params}`);
}

/** @returns {Promise<ZooModel[]>} every built-in model */
export async function fetchZoo() {
  const body = await getJson("/api/models");
  return body.models;
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
export async function generate({ model, ...rest }) {
  const spec = isLocalModel(model) ? inlineModel(loadLocalModel(model)) : model;
  return postJson("/api/generate", { model: spec, ...rest });
}

/**
 * Validate an uploaded state_dict (safetensors or torch.save) into a model spec.
 * @param {FormData} form `file`, `vocab`, and optionally `cell`, `nonlinearity`, `prefix`, `readout`
 * @returns {Promise<Imported>}
 */
export function importModel(form) {
  return postJson("/api/models/import", form);
}

/**
 * @typedef {import("../handoff.js").ModelSpec & {gates?: Record<string, {gate: string, rows: [number, number]}[]>,
 *   source?: {tensors?: number, format?: string, bytes?: number}}} Imported
 *   a spec, with the rows of each gate and what the file held
 */
