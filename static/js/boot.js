/**
 * Runs before the page is first drawn (a classic script in <head>, not a module, so there is
 * no flash of the wrong view): the presenter view (`?present=1`), an embedded page
 * (`?embed=1`, no site chrome) and the theme (`?theme=dark|light`, else the one chosen in this
 * browser, else the system's; `data-theme-chosen` when it was chosen) become attributes of
 * <html> that the CSS follows. present.js changes them later.
 *
 * It also holds the clicks a page cannot answer yet: a student who presses Next or a story
 * before the page has shown its first state (its modules, Plotly and its data still loading)
 * has the click applied once the page is ready (status.js says so with `unrolled:ready`),
 * never dropped. (The home and join pages, static, hold nothing.)
 */
(function boot() {
  const params = new URLSearchParams(window.location.search);
  const root = document.documentElement;
  if (params.get("present") === "1") root.dataset.present = "";
  if (params.get("embed") === "1") root.dataset.embed = "";
  let theme = params.get("theme");
  if (theme !== "dark" && theme !== "light") {
    try {
      theme = window.localStorage.getItem("unrolled-theme");
    } catch {
      theme = null; // storage blocked (a sandboxed frame): the system's theme
    }
  }
  if (theme === "dark" || theme === "light") root.dataset.themeChosen = "";
  else theme = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  root.dataset.theme = theme;

  if (root.dataset.page === "index" || root.dataset.page === "join") return;
  /** @type {HTMLElement[]} */
  const held = [];
  const CONTROLS = "main button, main [role=tab], main input[type=checkbox], main input[type=radio]";
  /** @param {MouseEvent} event */
  const hold = (event) => {
    const control = event.target instanceof Element ? event.target.closest(CONTROLS) : null;
    if (!(control instanceof HTMLElement)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    held.push(control);
  };
  document.addEventListener("click", hold, true);
  document.addEventListener("unrolled:ready", () => {
    document.removeEventListener("click", hold, true);
    for (const control of held.splice(0)) {
      if (control.isConnected && !control.matches(":disabled")) control.click();
    }
  }, { once: true });
})();
