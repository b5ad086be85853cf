/**
 * Runs before the page is first drawn (a classic script in <head>, not a module, so there is
 * no flash of the wrong view): the presenter view (`?present=1`), an embedded page
 * (`?embed=1`, no site chrome) and the theme (`?theme=dark|light`, else the one chosen in this
 * browser, else the system's; `data-theme-chosen` when it was chosen) become attributes of
 * <html> that the CSS follows. present.js changes them later.
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
})();
