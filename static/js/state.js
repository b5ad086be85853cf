/**
 * UI state, declared once with its types and mirrored in the URL query string,
 * so a shared link reproduces the view.
 */

/**
 * @typedef {"string" | "int" | "float"} FieldType
 * @typedef {{type: FieldType, default: string | number}} FieldSpec
 * @typedef {Record<string, FieldSpec>} StateSchema
 */

/** The /hello page: which model, which text, which step (0-based), which notation. */
export const HELLO_SCHEMA = {
  model: { type: "string", default: "hello-rnn" },
  text: { type: "string", default: "hello" },
  step: { type: "int", default: 0 },
  notation: { type: "string", default: "" },  // "" = the one remembered in this browser
};

/**
 * Parse one query value by its declared type; fall back to the default.
 * @param {FieldSpec} spec
 * @param {string | null} raw
 * @returns {string | number}
 */
function parseField(spec, raw) {
  if (raw === null) return spec.default;
  if (spec.type === "int" || spec.type === "float") {
    const value = spec.type === "int" ? Number.parseInt(raw, 10) : Number.parseFloat(raw);
    return Number.isFinite(value) ? value : spec.default;
  }
  return raw;
}

/** State read from and written to `location.search`. */
export class UrlState {
  /**
   * @param {StateSchema} schema
   * @param {Location} [location]
   */
  constructor(schema, location = window.location) {
    this.schema = schema;
    const params = new URLSearchParams(location.search);
    /** @type {Record<string, string | number>} */
    this.values = {};
    for (const [name, spec] of Object.entries(schema)) {
      this.values[name] = parseField(spec, params.get(name));
    }
  }

  /**
   * Change some fields and mirror the whole state in the URL (no new history entry).
   * @param {Record<string, string | number>} patch
   */
  update(patch) {
    for (const name of Object.keys(patch)) {
      if (!(name in this.schema)) throw new Error(`unknown state field '${name}'`);
    }
    Object.assign(this.values, patch);
    const params = new URLSearchParams();
    for (const name of Object.keys(this.schema)) params.set(name, String(this.values[name]));
    window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
  }
}
