/**
 * Hand a model spec from one page to another (a trained model from /lab, an uploaded one)
 * without a server session: the spec is kept in localStorage and the URL names it as
 * `model=local:<name>`, so the server stays stateless and the link works in this browser.
 */

const PREFIX = "unrolled:model:";

/** @param {string} model a URL's model value @returns {boolean} */
export function isLocalModel(model) {
  return model.startsWith("local:");
}

/**
 * Store an inline model spec; return the value to put in a URL's `model=`.
 * @param {string} name
 * @param {object} spec `{cell, vocab, hidden_size, num_layers, nonlinearity, state_dict}`
 * @returns {string}
 */
export function saveLocalModel(name, spec) {
  window.localStorage.setItem(PREFIX + name, JSON.stringify(spec));
  return `local:${name}`;
}

/**
 * The inline spec a `local:<name>` URL value refers to.
 * @param {string} model
 * @returns {object}
 */
export function loadLocalModel(model) {
  const name = model.slice("local:".length);
  const stored = window.localStorage.getItem(PREFIX + name);
  if (stored === null) throw new Error(`model ${name} is not stored in this browser`);
  return JSON.parse(stored);
}

/**
 * Names of the models stored in this browser, sorted.
 * @returns {string[]} values for a URL's `model=` (`local:<name>`)
 */
export function listLocalModels() {
  const names = [];
  for (let k = 0; k < window.localStorage.length; k += 1) {
    const key = window.localStorage.key(k);
    if (key !== null && key.startsWith(PREFIX)) names.push(`local:${key.slice(PREFIX.length)}`);
  }
  return names.sort();
}

/**
 * The fields of a stored spec that a request's inline `model` takes (an imported spec also
 * carries `gates` and `source`, which describe it but are not part of a model).
 * @param {any} spec
 * @returns {{cell: string, vocab: string[], hidden_size: number, num_layers: number,
 *   nonlinearity: string, state_dict: Record<string, any>}}
 */
export function inlineModel(spec) {
  const { cell, vocab, hidden_size, num_layers, nonlinearity, state_dict } = spec;
  return { cell, vocab, hidden_size, num_layers, nonlinearity, state_dict };
}
