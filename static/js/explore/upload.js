/**
 * Upload your own model: a safetensors file or a torch.save'd state_dict of nn.RNN/LSTM/GRU
 * plus a Linear readout, and its vocabulary. The server validates it into a model spec
 * (weights labelled by gate); the page keeps the spec in this browser (`local:<name>`) so
 * /explore and /hello can trace it and the URL names it.
 */
import { el } from "../dom.js";
import { saveLocalModel } from "../handoff.js";
import { importModel } from "./data.js";

/** Optional form fields sent only when filled in (the server infers or defaults them). */
const OPTIONAL = ["cell", "nonlinearity", "prefix", "readout"];

/**
 * A short account of an imported spec, as text.
 * @param {import("./data.js").Imported} spec
 * @returns {string}
 */
function describeImport(spec) {
  const source = spec.source ?? {};
  const gates = Object.entries(spec.gates ?? {})
    .map(([tensor, rows]) => `${tensor}: ${rows.map((g) => `${g.gate} rows ${g.rows[0]}–${g.rows[1]}`).join(", ")}`);
  return `${spec.cell.toUpperCase()}, ${spec.num_layers} layer(s) of ${spec.hidden_size} units, ` +
    `${spec.vocab.length} characters; ${source.tensors ?? "?"} tensors from a ${source.format ?? "?"} file ` +
    `of ${source.bytes ?? "?"} bytes.` + (gates.length ? ` Gates — ${gates.join("; ")}.` : "");
}

/**
 * Wire the upload form.
 * Test hook: `body[data-uploading]` is "false" once an upload has been answered.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} status where the outcome is written (as text)
 * @param {import("../status.js").ErrorBox} errors where a refusal is shown
 * @param {(model: string) => void} onImported called with `local:<name>` once stored
 */
export function setupUpload(form, status, errors, onImported) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const name = String(fields.get("name") ?? "").trim() || "uploaded";
    const upload = new FormData();
    upload.append("file", fields.get("file") ?? "");
    upload.append("vocab", String(fields.get("vocab") ?? ""));
    for (const key of OPTIONAL) {
      const value = String(fields.get(key) ?? "").trim();
      if (value) upload.append(key, value);
    }
    status.textContent = "Checking the file…";
    document.body.dataset.uploading = "true";
    try {
      const spec = await importModel(upload);
      let model;
      try {
        model = saveLocalModel(name, spec);
      } catch (error) {
        throw new Error(`the model is valid but too large to keep in this browser (${error})`);
      }
      status.replaceChildren(el("strong", {}, `Imported “${name}”. `), describeImport(spec));
      errors.clear();
      onImported(model);
    } catch (error) {
      status.textContent = "";
      errors.show(error, "Upload: ");
    } finally {
      document.body.dataset.uploading = "false";
    }
  });
}
