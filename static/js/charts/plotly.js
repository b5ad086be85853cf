/**
 * Plotly.js arrives by a classic script with `async` (templates/base.html): the page's modules
 * run, wire their controls and ask for their data while the browser still parses the 1.5 MB
 * bundle. A chart waits here for it before its first drawing.
 */

/** @type {Promise<void>} resolved once the global `Plotly` is there */
export const plotlyReady = new Promise((resolve, reject) => {
  if (typeof Plotly !== "undefined") {
    resolve();
    return;
  }
  const script = document.querySelector("script[data-plotly]");
  if (!script) {
    reject(new Error("this page loads no Plotly.js"));
    return;
  }
  script.addEventListener("load", () => resolve());
  script.addEventListener("error", () => reject(new Error("Plotly.js could not be loaded")));
});
