/**
 * The trained model: open it in /explore or /hello (character tasks; a classifier or a series
 * model in /explore only) through the browser's localStorage hand-off (`model=local:<name>`,
 * the server keeps no session), download its weights as safetensors built here, or download
 * the whole run as JSON.
 */
import { formatNumber, saveFile } from "../dom.js";
import { saveLocalModel } from "../handoff.js";
import { safetensorsBytes } from "./safetensors.js";

/**
 * @typedef {{cell: string, hidden_size: number, num_layers: number, nonlinearity: string,
 *   state_dict: Record<string, any>, vocab?: string[] | null, input_size?: number,
 *   output_size?: number, note?: string, output?: "class" | "value", classes?: string[] | null,
 *   input?: "real", features?: number}} TrainedModel
 *   `output` "class": a classifier (surnames, sentiment), whose readout scores `classes`;
 *   "value": a series model (input "real", `features` values per step, an empty vocab), which
 *   forecasts the next value
 */

/**
 * The model spec of the weights of a snapshot (a run stopped before its end offers its last
 * one), from the start event's model: as the done event's `model` would have it.
 * @param {Omit<TrainedModel, "state_dict">} setup the start event's `model`
 * @param {Record<string, any>} stateDict
 * @returns {TrainedModel}
 */
export function snapshotModel(setup, stateDict) {
  if (setup.output !== "value") return { ...setup, state_dict: stateDict };
  const { cell, hidden_size, num_layers, nonlinearity, input, features, output } = setup;
  return { cell, hidden_size, num_layers, nonlinearity, state_dict: stateDict, vocab: [], input, features, output };
}

export class ModelPanel {
  /**
   * @param {{summary: HTMLElement, note: HTMLElement, explore: HTMLAnchorElement,
   *   hello: HTMLAnchorElement, download: HTMLButtonElement, log: HTMLButtonElement}} elements
   */
  constructor(elements) {
    this.elements = elements;
    /** @type {TrainedModel | null} */
    this.model = null;
    this.name = "";
    /** @type {() => object} */
    this.runLog = () => ({});
    elements.download.addEventListener("click", () => this.download());
    elements.log.addEventListener("click", () => {
      saveFile(JSON.stringify(this.runLog()), "application/json", `${this.name || "lab-run"}.json`);
    });
  }

  /** No model yet (a run is starting). */
  clear() {
    this.model = null;
    this.setLink(this.elements.explore, null);
    this.setLink(this.elements.hello, null);
    this.elements.download.disabled = true;
    this.elements.log.disabled = true;
    this.elements.summary.textContent = "Training…";
    this.elements.note.textContent = "";
  }

  /**
   * Enable or disable a link (a link without href is neither clickable nor focusable).
   * @param {HTMLAnchorElement} link
   * @param {string | null} href
   */
  setLink(link, href) {
    if (href === null) {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
    } else {
      link.href = href;
      link.removeAttribute("aria-disabled");
    }
  }

  /**
   * Offer a model.
   * @param {TrainedModel} model
   * @param {{name: string, label: string, text: string | null, runLog: () => object}} info
   *   `text`: what /hello and /explore should read (null for a model that reads numbers)
   */
  show(model, { name, label, text, runLog }) {
    this.model = model;
    this.name = name;
    this.runLog = runLog;
    const { summary, note, explore, hello, download, log } = this.elements;
    download.disabled = false;
    log.disabled = false;
    const classes = model.output === "class" ? model.classes ?? [] : null;
    const series = model.output === "value";
    const shape = series ? `${model.features} number in, ${model.features} out (the next value)`
      : !model.vocab ? `${model.input_size} numbers in, ${model.output_size} out`
        : classes ? `${model.vocab.length} characters in, ${classes.length} classes out`
          : `${model.vocab.length} characters in, ${model.vocab.length} out`;
    const parameters = Object.values(model.state_dict).reduce((n, t) => n + [t].flat(2).length, 0);
    summary.textContent = `${label}: ${model.cell.toUpperCase()}, ${model.num_layers} × ${model.hidden_size} units, ` +
      `${shape}, ${formatNumber(parameters, 0)} weights.`;
    if (!model.vocab || text === null) {
      this.setLink(explore, null);
      this.setLink(hello, null);
      note.textContent = model.note ?? "This model reads numbers, not characters, so /explore and /hello cannot open it; download its weights instead.";
      return;
    }
    try {
      const value = saveLocalModel(name, model);
      const query = (/** @type {string} */ page) => `/${page}?${new URLSearchParams({ model: value, text })}`;
      this.setLink(explore, query("explore"));
      // /hello steps a next-character model
      this.setLink(hello, classes || series ? null : query("hello"));
      note.textContent = `Stored in this browser as ${value}; the links open it on the probe sequence.` +
        (classes ? " A classifier opens in /explore, whose predictions panel draws its classes." : "") +
        (series ? " A series model reads numbers: it opens in /explore; /hello steps through characters only." : "");
    } catch (error) {
      this.setLink(explore, null);
      this.setLink(hello, null);
      note.textContent = `This browser could not store the model (${error}); download its weights instead.`;
    }
  }

  /** Download the weights as a .safetensors file (float32, PyTorch names). */
  download() {
    if (!this.model) return;
    const { state_dict: stateDict, ...config } = this.model;
    try {
      const bytes = safetensorsBytes(stateDict, { format: "pt", unrolled_config: JSON.stringify(config) });
      saveFile(bytes, "application/octet-stream", `${this.name}.safetensors`);
    } catch (error) {
      this.elements.note.textContent = `Could not build the file: ${error}`;
    }
  }
}
