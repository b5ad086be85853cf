/**
 * The training and comparison forms: state → controls, controls → state, and the controls that
 * only apply sometimes (a task's own parameter, the RNN's nonlinearity, the clip threshold).
 */
import { el, formatNumber } from "../dom.js";
import { COMPARE_FIELDS, compareDefaults, TRAIN_FIELDS } from "./settings.js";

/** @param {string} id @returns {any} */
const byId = (id) => document.getElementById(id);

/**
 * @typedef {import("./settings.js").TaskInfo} TaskInfo
 * @typedef {{tasks: TaskInfo[], corpora: {name: string, description: string}[],
 *   limits: Record<string, number>, compare_defaults: Record<string, any>}} Catalogue
 */

export class Controls {
  /**
   * @param {import("../state.js").UrlState} state
   * @param {() => void} onChange the state changed through a control
   */
  constructor(state, onChange) {
    this.state = state;
    /** @type {Catalogue | null} */
    this.catalogue = null;
    /** The query the page was opened with: what the link set, before any default is written. */
    this.opened = new URLSearchParams(window.location.search);
    const form = byId("train-controls");
    form.addEventListener("input", (/** @type {Event} */ event) => {
      const target = /** @type {HTMLElement} */ (event.target);
      if (target.id === "task") this.useTaskDefault(/** @type {HTMLSelectElement} */ (target).value);
      this.read();
      onChange();
    });
    const compare = byId("compare-controls");
    compare.addEventListener("input", () => {
      this.read();
      onChange();
    });
    for (const f of [form, compare]) f.addEventListener("submit", (/** @type {Event} */ e) => e.preventDefault());
  }

  /** @param {string} name @returns {TaskInfo | undefined} */
  task(name) {
    return this.catalogue?.tasks.find((t) => t.name === name);
  }

  /**
   * Fill the task and corpus lists and the limits from GET /api/train/tasks.
   * @param {Catalogue} catalogue
   */
  setCatalogue(catalogue) {
    this.catalogue = catalogue;
    byId("task").replaceChildren(...catalogue.tasks.map((t) => el("option", { value: t.name }, t.title)));
    byId("corpus").replaceChildren(
      ...catalogue.corpora.map((c) => el("option", { value: c.name }, `${c.name}: ${c.description}`)),
    );
    const limits = catalogue.limits;
    for (const [id, limit] of [["hidden_size", "max_hidden_size"], ["compare_hidden_size", "max_hidden_size"],
      ["steps", "max_steps"], ["compare_steps", "max_steps"], ["batch_size", "max_batch_size"]]) {
      if (limits[limit] !== undefined) byId(id).max = String(limits[limit]);
    }
    if (limits.max_layers !== undefined) {
      const layers = Array.from({ length: limits.max_layers }, (_, k) => String(k + 1));
      byId("num_layers").replaceChildren(...layers.map((n) => el("option", { value: n }, n)));
    }
    this.state.update(compareDefaults(catalogue.compare_defaults, this.opened));
    this.useTaskDefault(String(this.state.values.task), true);
  }

  /**
   * Set the task's parameter to its default (on a task change; on load only when the URL has
   * no value), so the number is explicit in the URL.
   * @param {string} name
   * @param {boolean} [onlyIfEmpty]
   */
  useTaskDefault(name, onlyIfEmpty = false) {
    const parameter = this.task(name)?.parameter;
    if (!parameter) return;
    if (onlyIfEmpty && this.state.values[parameter.name] !== "") return;
    this.state.update({ [parameter.name]: parameter.default });
    byId(parameter.name).value = String(parameter.default);
  }

  /** Copy the state into the controls and show only the controls that apply. */
  show() {
    const v = this.state.values;
    for (const name of [...TRAIN_FIELDS, ...COMPARE_FIELDS]) byId(name).value = String(v[name]);
    const cells = String(v.compare_cells).split(",");
    for (const box of document.querySelectorAll('input[name="compare_cell"]')) {
      const input = /** @type {HTMLInputElement} */ (box);
      input.checked = cells.includes(input.value);
    }
    const task = this.task(String(v.task));
    const parameter = task?.parameter ?? null;
    for (const label of document.querySelectorAll("[data-param]")) {
      const name = /** @type {HTMLElement} */ (label).dataset.param;
      /** @type {HTMLElement} */ (label).hidden = name === "corpus" ? v.task !== "corpus" : parameter?.name !== name;
    }
    if (parameter) {
      const input = byId(parameter.name);
      input.min = String(parameter.minimum);
      if (parameter.maximum !== undefined) input.max = String(parameter.maximum);
    }
    byId("delay-out").textContent = formatNumber(Number(v.delay), 0);
    byId("nonlinearity-label").hidden = v.cell !== "rnn";
    byId("lstm_init-label").hidden = v.cell !== "lstm";
    byId("clip_threshold-label").hidden = v.clip === "off";
    // The catalogue describes each task at its default parameter; say so when it differs.
    const other = parameter && Number(v[parameter.name]) !== parameter.default;
    const described = other ? `At the default ${parameter.name} ${parameter.default}: ` : "";
    byId("task-description").textContent = task ? described + task.description : "";
  }

  /** Read the controls into the state. */
  read() {
    /** @type {Record<string, string | number>} */
    const patch = {};
    for (const name of [...TRAIN_FIELDS, ...COMPARE_FIELDS]) {
      const spec = this.state.schema[name];
      const raw = byId(name).value;
      patch[name] = spec.type === "string" || raw === "" ? raw : Number(raw);
    }
    patch.compare_cells = [...document.querySelectorAll('input[name="compare_cell"]:checked')]
      .map((b) => /** @type {HTMLInputElement} */ (b).value).join(",");
    this.state.update(patch);
  }
}
