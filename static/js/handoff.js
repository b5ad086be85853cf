/**
 * Hand a model spec from one page to another (a trained model from /lab, an uploaded one)
 * without a server session: the spec is kept in localStorage and the URL names it as
 * `model=local:<name>`, so the server stays stateless and the link works in this browser.
 */
import { el } from "./dom.js";

const PREFIX = "unrolled:model:";

/**
 * @typedef {{cell: import("./cells.js").Cell, vocab: string[], hidden_size: number,
 *   num_layers: number, nonlinearity: string, state_dict: Record<string, any>,
 *   output?: string, classes?: string[] | null, input?: string, embedding_dim?: number,
 *   features?: number}} ModelSpec
 *   an inline model of a request; `state_dict` maps PyTorch names to nested arrays of numbers;
 *   a classifier's `output` is "class" and its readout scores `classes`; a series model's
 *   `input` is "real" and `output` "value", with `features` numbers per step
 */

/** @param {string} model a URL's model value @returns {boolean} */
export function isLocalModel(model) {
  return model.startsWith("local:");
}

/**
 * Store an inline model spec; return the value to put in a URL's `model=`.
 * @param {string} name
 * @param {object} spec a ModelSpec, possibly with more (an upload's `gates`, a sample text)
 * @returns {string}
 */
export function saveLocalModel(name, spec) {
  window.localStorage.setItem(PREFIX + name, JSON.stringify(spec));
  return `local:${name}`;
}

/**
 * The stored JSON of a `local:<name>` URL value's spec, or null (to share it as it is).
 * @param {string} model
 * @returns {string | null}
 */
export function storedModelJson(model) {
  return isLocalModel(model) ? window.localStorage.getItem(PREFIX + model.slice("local:".length)) : null;
}

/**
 * Store a spec's JSON (a model shared with a class) under a `local:<name>` URL value.
 * @param {string} model
 * @param {string} json
 */
export function storeModelJson(model, json) {
  window.localStorage.setItem(PREFIX + model.slice("local:".length), json);
}

/**
 * The spec a `local:<name>` URL value refers to, as stored.
 * @param {string} model
 * @returns {ModelSpec & {sample?: string}}
 */
export function loadLocalModel(model) {
  const name = model.slice("local:".length);
  const stored = window.localStorage.getItem(PREFIX + name);
  if (stored === null) throw new Error(`model ${name} is not stored in this browser`);
  return JSON.parse(stored);
}

/**
 * The fields of a stored spec that a request's inline `model` takes (an imported spec also
 * carries `gates` and `source`, which describe it but are not part of a model).
 * @param {ModelSpec} spec
 * @returns {ModelSpec}
 */
export function inlineModel(spec) {
  const { cell, vocab, hidden_size, num_layers, nonlinearity, state_dict, output, classes, input, embedding_dim, features } = spec;
  const kind = output === "class" ? { output, classes } : output === "value" ? { output } : {};
  const words = input === "embedding" ? { input, embedding_dim } : input === "real" ? { input, features } : {};
  return { cell, vocab, hidden_size, num_layers, nonlinearity, state_dict, ...kind, ...words };
}

/**
 * Add the models stored in this browser to a model <select>, as an "In this browser" group
 * (the one a URL names too, even when this browser does not have it: loading it then says so).
 * @param {HTMLSelectElement} select
 * @param {string} wanted the URL's model
 */
export function addLocalModels(select, wanted) {
  select.querySelector("optgroup.local-models")?.remove();
  const names = [];
  for (let k = 0; k < window.localStorage.length; k += 1) {
    const key = window.localStorage.key(k);
    if (key !== null && key.startsWith(PREFIX)) names.push(`local:${key.slice(PREFIX.length)}`);
  }
  if (isLocalModel(wanted) && !names.includes(wanted)) names.push(wanted);
  if (names.length === 0) return;
  const group = el("optgroup", { label: "In this browser", class: "local-models" });
  for (const model of names.sort()) group.append(el("option", { value: model }, model));
  select.append(group);
}
