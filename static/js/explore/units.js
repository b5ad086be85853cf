/**
 * "Find units": for each feature of the text (inside quotes, bracket depth, position in
 * line…), the units whose activation correlates most with it (Pearson r from the API's
 * analysis), strongest |r| first. One click selects a unit and colours the text by it.
 */
import { EXPLORE } from "../config.js";
import { el, formatNumber } from "../dom.js";

/** @type {Record<string, string>} readable names of the analysis features (others: underscores as spaces) */
const FEATURE_NAMES = {
  in_quotes: "inside quotes",
  bracket_depth: "bracket depth",
  line_position: "position in line",
};

/** @param {string} feature */
export function featureName(feature) {
  return FEATURE_NAMES[feature] ?? feature.replaceAll("_", " ");
}

/**
 * @typedef {{series: "h" | "c", unit: number, r: number}} RankedUnit
 */

/**
 * The units most correlated with one feature, over h (and c for an LSTM), by |r|.
 * Units whose r is undefined (a constant series) are left out.
 * @param {{h: Record<string, (number | null)[]>, c: Record<string, (number | null)[]> | null}} correlations
 * @param {string} feature
 * @param {number} count
 * @returns {RankedUnit[]}
 */
export function rankUnits(correlations, feature, count) {
  /** @type {RankedUnit[]} */
  const all = [];
  for (const series of /** @type {const} */ (["h", "c"])) {
    const values = correlations[series]?.[feature] ?? [];
    values.forEach((r, unit) => {
      if (r !== null) all.push({ series, unit, r });
    });
  }
  return all.sort((a, b) => Math.abs(b.r) - Math.abs(a.r) || a.unit - b.unit).slice(0, count);
}

export class UnitFinder {
  /**
   * @param {HTMLElement} container
   * @param {(series: "h" | "c", unit: number) => void} onSelect
   */
  constructor(container, onSelect) {
    this.container = container;
    this.onSelect = onSelect;
    container.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("button[data-unit]") : null;
      if (!(button instanceof HTMLButtonElement)) return;
      onSelect(button.dataset.series === "c" ? "c" : "h", Number(button.dataset.unit));
    });
  }

  /**
   * List the best units of each feature.
   * @param {{h: Record<string, (number | null)[]>, c: Record<string, (number | null)[]> | null}} correlations
   * @param {string[]} features
   */
  show(correlations, features) {
    const table = el("table", { class: "data-table unit-ranking" });
    const head = el("tr");
    head.append(el("th", { scope: "col" }, "feature"), el("th", { scope: "col" }, "best unit"),
      el("th", { scope: "col" }, "next best (Pearson r)"));
    const body = el("tbody");
    table.append(el("thead"), body);
    table.tHead?.append(head);
    for (const feature of features) {
      const ranked = rankUnits(correlations, feature, EXPLORE.rankedUnits);
      const tr = el("tr", { "data-feature": feature });
      tr.append(el("th", { scope: "row" }, featureName(feature)));
      const best = el("td");
      const rest = el("td");
      if (ranked.length === 0) best.textContent = "no unit varies with it here";
      ranked.forEach((u, k) => {
        const label = `${u.series} ${u.unit} (r = ${formatNumber(u.r, 2)})`;
        const button = el("button", {
          type: "button", class: k === 0 ? "unit-pick best" : "unit-pick",
          "data-series": u.series, "data-unit": String(u.unit), "data-r": String(u.r),
          "aria-pressed": "false",
        }, k === 0 ? `Show ${label}` : label);
        (k === 0 ? best : rest).append(button);
      });
      tr.append(best, rest);
      body.append(tr);
    }
    this.container.replaceChildren(table);
  }

  /**
   * Mark the selected unit's buttons as pressed.
   * @param {string} series
   * @param {number} unit
   */
  markSelected(series, unit) {
    for (const button of this.container.querySelectorAll("button")) {
      if (button.dataset.unit === undefined) continue;
      button.setAttribute("aria-pressed", String(button.dataset.series === series && Number(button.dataset.unit) === unit));
    }
  }
}
