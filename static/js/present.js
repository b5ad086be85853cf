/**
 * The lecture-hall controls on every page: `P` (or the header's button, or `?present=1`)
 * switches the presenter view (large type, the page's core view on one screen), the theme
 * button switches dark and light (remembered in this browser; the system's choice until then),
 * and `F` shows the focused chart full screen (Escape leaves). boot.js applies the URL's
 * choices before the page is drawn; this module changes them and keeps the URL in step, so a
 * copied link opens the same view.
 */

import "./classroom.js";

const root = document.documentElement;
const THEME_KEY = "unrolled-theme";

/**
 * Set or remove one query field without a new history entry, keeping the others.
 * @param {string} name
 * @param {string | null} value
 */
export function setQueryField(name, value) {
  const params = new URLSearchParams(window.location.search);
  if (value === null) params.delete(name);
  else params.set(name, value);
  const query = params.toString();
  window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
}

/** Whether the presenter view is on. */
export const presenting = () => "present" in root.dataset;

/** The theme shown (boot.js set it: the chosen one, else the system's). */
export const currentTheme = () => (root.dataset.theme === "dark" ? "dark" : "light");

/**
 * Whether a key event belongs to a text field or a select (or has a modifier): not ours.
 * @param {KeyboardEvent} event
 */
export function typingOrModified(event) {
  const target = event.target instanceof Element ? event.target : document.body;
  const typing = target.closest("input:not([type=range]):not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]");
  return Boolean(typing) || event.altKey || event.ctrlKey || event.metaKey;
}

/** @param {boolean} on */
function setPresenting(on) {
  if (on) root.dataset.present = "";
  else delete root.dataset.present;
  setQueryField("present", on ? "1" : null);
  showButtons();
  document.dispatchEvent(new CustomEvent("unrolled:present", { detail: { on } }));
}

function toggleTheme() {
  const theme = currentTheme() === "dark" ? "light" : "dark";
  root.dataset.theme = theme;
  root.dataset.themeChosen = "";
  try {
    window.localStorage.setItem(THEME_KEY, theme);
  } catch {
    // storage blocked: the choice lasts for this page and its URL
  }
  if (new URLSearchParams(window.location.search).has("theme")) setQueryField("theme", theme);
  showButtons();
}

/** The header buttons say what is on. */
function showButtons() {
  const present = document.getElementById("present-toggle");
  present?.setAttribute("aria-pressed", String(presenting()));
  const theme = document.getElementById("theme-toggle");
  theme?.setAttribute("aria-pressed", String(currentTheme() === "dark"));
}

/** @type {Element | null} the chart last clicked or focused */
let lastChart = null;
const CHARTS = ".chart, [data-fullscreen]";

/** The chart `F` shows: the focused one, else the last one used, else the page's main chart. */
function chartToShow() {
  const focused = document.activeElement?.closest(CHARTS);
  if (focused) return focused;
  if (lastChart?.isConnected && lastChart instanceof HTMLElement && lastChart.offsetParent !== null) return lastChart;
  /** @param {string} selector the first shown element it matches (a list matches in page order) */
  const shown = (selector) => [...document.querySelectorAll(selector)]
    .find((chart) => chart instanceof HTMLElement && chart.offsetParent !== null);
  return shown("[data-main-chart]") ?? shown(CHARTS) ?? null;
}

function toggleFullScreen() {
  if (document.fullscreenElement) {
    document.exitFullscreen();
    return;
  }
  const chart = chartToShow();
  if (chart instanceof HTMLElement) {
    chart.requestFullscreen().catch(() => {
      // refused (an iframe without allowfullscreen): the chart stays where it is
    });
  }
}

/** @param {KeyboardEvent} event */
function onKey(event) {
  if (typingOrModified(event) || event.defaultPrevented) return;
  if (event.key === "p" || event.key === "P") setPresenting(!presenting());
  else if (event.key === "f" || event.key === "F") toggleFullScreen();
  else return;
  event.preventDefault();
}

document.addEventListener("keydown", onKey);
for (const type of ["pointerdown", "focusin"]) {
  document.addEventListener(type, (event) => {
    const chart = event.target instanceof Element ? event.target.closest(CHARTS) : null;
    if (chart) lastChart = chart;
  });
}
document.getElementById("present-toggle")?.addEventListener("click", () => setPresenting(!presenting()));
document.getElementById("theme-toggle")?.addEventListener("click", toggleTheme);
// The system's theme changes (evening mode): followed unless one was chosen here.
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", (event) => {
  if ("themeChosen" in root.dataset) return;
  root.dataset.theme = event.matches ? "dark" : "light";
  showButtons();
});
showButtons();
