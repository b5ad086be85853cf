/**
 * Every piece of the /explore page's state, with its type and default, mirrored in the URL:
 * a shared link reproduces the view (model, text, layer, cursor, unit, panels, notation…).
 */

/** The panels, in page order; `panels=` in the URL lists those shown. */
export const PANELS = [
  "text", "connectivity", "predictions", "states", "gates", "gradients", "units", "saturation", "equations",
];

/** The panels the presenter view can show beside the text (`focus=`). */
export const FOCUS_PANELS = PANELS.filter((panel) => panel !== "text");

export const PROPS = /** @type {const} */ ([
  { name: "model", type: "string", default: "" }, // "" = the first character model of the zoo
  { name: "text", type: "string", default: "" }, // "" = the model's own sample text
  { name: "layer", type: "int", default: 0 }, // 0 = the bottom layer
  { name: "cursor", type: "int", default: 0 }, // the time step shown
  { name: "unit", type: "int", default: 0 }, // the unit whose activation colours the text
  { name: "series", type: "string", default: "h" }, // colour the text by the unit's h_t or c_t (LSTM)
  { name: "loss", type: "string", default: "all" }, // gradients of the loss over all steps or the last
  { name: "label", type: "string", default: "" }, // a class model's class the loss is of ("" = its answer)
  { name: "panels", type: "string", default: PANELS.join(",") },
  { name: "focus", type: "string", default: "predictions" }, // the panel the presenter view shows beside the text
  { name: "notation", type: "string", default: "" }, // "" = the one remembered in this browser
  { name: "prompt", type: "string", default: "" }, // generation: "" = the start of the model's sample
  { name: "length", type: "int", default: 200 },
  { name: "temperature", type: "float", default: 1.0 },
  { name: "seed", type: "int", default: 0 },
  { name: "generate", type: "int", default: 0 }, // 1 = the text is generated (prompt, length, temperature, seed) on load
  // A series model's series: "" = the text (or the model's sample), else a generated one
  { name: "wave", type: "string", default: "" }, // walk | sine | square | sawtooth
  { name: "steps", type: "int", default: 100 },
  { name: "noise", type: "float", default: 0.05 },
  { name: "wave_seed", type: "int", default: 0 },
  { name: "forecast", type: "int", default: 0 }, // free running from this step (0 = half the series)
]);
