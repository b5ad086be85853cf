/**
 * The training and comparison forms: state → controls, controls → state, and the controls that
 * only apply sometimes (a task's own parameter, the RNN's nonlinearity, the clip threshold).
 */
import { hasCellState } from "../cells.js";
import { byId, el, formatNumber, formControl } from "../dom.js";
import { COMPARE_FIELDS, compareDefaults, TRAIN_FIELDS } from "./settings.js";

/**
 * @typedef {import("./settings.js").TaskInfo} TaskInfo
 * @typedef {{tasks: TaskInfo[], corpora: {name: string, description: string}[],
 *   series?: {name: string, description: string}[], limits: Record<string, number>,
 *   compare_defaults: Record<string, number | string | (number | string)[]>}} Catalogue GET /api/train/tasks
 * @typedef {import("../state.js").UrlState<typeof import("./settings.js").LAB_PROPS>} LabState
 */

export class Controls {
  /**
   * @param {LabState} state
   * @param {() => void} onChange the state changed through a control
   */
  constructor(state, onChange) {
    this.state = state;
    /** @type {Catalogue | null} */
    this.catalogue = null;
    /** The query the page was opened with: what the link set, before any default is written. */
    this.opened = new URLSearchParams(window.location.search);
    /** Every control named as its prop, apart from the comparison's cell checkboxes. */
    this.fields = [...TRAIN_FIELDS, ...COMPARE_FIELDS].map((name) => ({ name, control: formControl(name) }));
    this.cellBoxes = [...byId("compare-controls", HTMLFormElement).querySelectorAll("input")]
      .filter((box) => box.name === "compare_cell");
    const form = byId("train-controls", HTMLFormElement);
    form.addEventListener("input", (event) => {
      if (event.target instanceof HTMLSelectElement && event.target.id === "task") this.useTaskDefault(event.target.value);
      this.read();
      onChange();
    });
    const compare = byId("compare-controls", HTMLFormElement);
    compare.addEventListener("input", () => {
      this.read();
      onChange();
    });
    for (const f of [form, compare]) f.addEventListener("submit", (e) => e.preventDefault());
  }

  /** @param {string} name @returns {TaskInfo | undefined} */
  task(name) {
    return this.catalogue?.tasks.find((t) => t.name === name);
  }

  /**
   * Fill the task, corpus and series lists and the limits from GET /api/train/tasks.
   * @param {Catalogue} catalogue
   */
  setCatalogue(catalogue) {
    this.catalogue = catalogue;
    formControl("task").replaceChildren(...catalogue.tasks.map((t) => el("option", { value: t.name }, t.title)));
    formControl("corpus").replaceChildren(
      ...catalogue.corpora.map((c) => el("option", { value: c.name }, `${c.name}: ${c.description}`)),
    );
    formControl("series").replaceChildren(
      ...(catalogue.series ?? []).map((s) => el("option", { value: s.name }, `${s.name}: ${s.description}`)),
    );
    const limits = catalogue.limits;
    for (const [id, limit] of [["hidden_size", "max_hidden_size"], ["compare_hidden_size", "max_hidden_size"],
      ["steps", "max_steps"], ["compare_steps", "max_steps"], ["batch_size", "max_batch_size"]]) {
      if (limits[limit] !== undefined) byId(id, HTMLInputElement).max = String(limits[limit]);
    }
    if (limits.max_layers !== undefined) {
      const layers = Array.from({ length: limits.max_layers }, (_, k) => String(k + 1));
      formControl("num_layers").replaceChildren(...layers.map((n) => el("option", { value: n }, n)));
    }
    this.state.update(compareDefaults(catalogue.compare_defaults, this.opened));
    this.useTaskDefault(this.state.values.task, true);
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
    formControl(parameter.name).value = String(parameter.default);
  }

  /** Copy the state into the controls and show only the controls that apply. */
  show() {
    const v = this.state.values;
    for (const { name, control } of this.fields) control.value = String(v[name]);
    const cells = v.compare_cells.split(",");
    for (const box of this.cellBoxes) box.checked = cells.includes(box.value);
    const task = this.task(v.task);
    const parameter = task?.parameter ?? null;
    for (const label of document.querySelectorAll("label")) {
      const name = label.dataset.param;
      if (!name) continue;
      const option = name === "corpus" || name === "series"; // a task's own choice of data
      label.hidden = option ? v.task !== name : parameter?.name !== name;
    }
    if (parameter) {
      const input = byId(parameter.name, HTMLInputElement);
      input.min = String(parameter.minimum);
      if (parameter.maximum !== undefined) input.max = String(parameter.maximum);
    }
    byId("delay-out", HTMLOutputElement).textContent = formatNumber(Number(v.delay), 0);
    byId("nonlinearity-label").hidden = v.cell !== "rnn";
    byId("lstm_init-label").hidden = !hasCellState(v.cell);
    byId("clip_threshold-label").hidden = v.clip === "off";
    // The catalogue describes each task at its default parameter; say so when it differs.
    const other = parameter && Number(v[parameter.name]) !== parameter.default;
    const described = other ? `At the default ${parameter.name} ${parameter.default}: ` : "";
    byId("task-description").textContent = task ? described + task.description : "";
  }

  /** Read the controls into the state (a number field being typed in keeps "" until filled). */
  read() {
    /** @type {import("./settings.js").LabPatch} */
    const patch = {};
    for (const { name, control } of this.fields) {
      const raw = control.value;
      patch[name] = this.state.prop(name).type === "string" || raw === "" ? raw : Number(raw);
    }
    patch.compare_cells = this.cellBoxes.filter((box) => box.checked).map((box) => box.value).join(",");
    this.state.update(patch);
  }
}
