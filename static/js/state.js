/**
 * A page's state, declared once as a list of props (name, type, default; as
 * tensorflow/playground's `State.PROPS`) and mirrored in the URL query string, so a shared link
 * reproduces the view. Each page declares its props in one place:
 * hello/main.js, explore/props.js, gradients/main.js, lab/settings.js.
 */

/**
 * @typedef {"string" | "int" | "float"} PropType
 * @typedef {{name: string, type: PropType, default: string | number}} Prop
 */

/**
 * The values of a list of props, by name: a string prop's is a string, a number prop's a number
 * (or its default: /lab's `delay=` left empty means "the task's default").
 * @template {readonly Prop[]} P
 * @typedef {{[K in P[number] as K["name"]]: K["type"] extends "string" ? string : number | K["default"]}} Values
 */

/**
 * A change to some of the props, values as the controls give them (a number field being typed
 * in may hold "" for a moment).
 * @template {readonly Prop[]} P
 * @typedef {Partial<Record<P[number]["name"], string | number>>} Patch
 */

/**
 * Parse one query value by its prop's type; fall back to the default.
 * @param {Prop} prop
 * @param {string | null} raw
 * @returns {string | number}
 */
function parse(prop, raw) {
  if (raw === null) return prop.default;
  if (prop.type === "string") return raw;
  const value = prop.type === "int" ? Number.parseInt(raw, 10) : Number.parseFloat(raw);
  return Number.isFinite(value) ? value : prop.default;
}

/**
 * State read from and written to `location.search`.
 * @template {readonly Prop[]} P
 */
export class UrlState {
  /**
   * @param {P} props declared `@type {const}`, so each value's type follows its prop
   * @param {Location} [location]
   */
  constructor(props, location = window.location) {
    this.props = props;
    /** @type {Values<P>} */
    this.values = this.read(new URLSearchParams(location.search));
  }

  /**
   * Every prop's value in a query string, parsed by its type (its default where the query
   * has none): a complete state, as a story's scene applies it.
   * @param {URLSearchParams} params
   * @returns {Values<P>}
   */
  read(params) {
    const values = Object.fromEntries(this.props.map((prop) => [prop.name, parse(prop, params.get(prop.name))]));
    return /** @type {any} */ (values); // each parsed by its declared type
  }

  /**
   * The prop of a name.
   * @param {string} name
   * @returns {Prop}
   */
  prop(name) {
    const prop = this.props.find((p) => p.name === name);
    if (!prop) throw new Error(`unknown state field '${name}'`);
    return prop;
  }

  /**
   * Change some fields and mirror the whole state in the URL (no new history entry). Query
   * fields the page does not own (present.js's `present` and `embed`, story.js's `story` and
   * `scene`) are kept.
   * @param {Patch<P>} patch
   */
  update(patch) {
    for (const name of Object.keys(patch)) this.prop(name);
    Object.assign(this.values, patch);
    const params = new URLSearchParams(window.location.search);
    for (const [name, value] of Object.entries(this.values)) params.set(name, String(value));
    window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
  }
}
