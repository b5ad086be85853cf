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
