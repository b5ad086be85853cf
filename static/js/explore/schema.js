/**
 * Every piece of the /explore page's state, with its type and default, mirrored in the URL:
 * a shared link reproduces the view (model, text, layer, cursor, unit, panels, notation…).
 */

/** The panels, in page order; `panels=` in the URL lists those shown. */
export const PANELS = [
  "text", "connectivity", "predictions", "states", "gates", "gradients", "units", "saturation", "equations",
];

export const EXPLORE_SCHEMA = {
  model: { type: "string", default: "" }, // "" = the first character model of the zoo
  text: { type: "string", default: "" }, // "" = the model's own sample text
  layer: { type: "int", default: 0 }, // 0 = the bottom layer
  cursor: { type: "int", default: 0 }, // the time step shown
  unit: { type: "int", default: 0 }, // the unit whose activation colours the text
  series: { type: "string", default: "h" }, // colour the text by the unit's h_t or c_t (LSTM)
  loss: { type: "string", default: "all" }, // gradients of the loss over all steps or the last
  panels: { type: "string", default: PANELS.join(",") },
  notation: { type: "string", default: "" }, // "" = the one remembered in this browser
  prompt: { type: "string", default: "" }, // generation: "" = the start of the model's sample
  length: { type: "int", default: 200 },
  temperature: { type: "float", default: 1.0 },
  seed: { type: "int", default: 0 },
};
