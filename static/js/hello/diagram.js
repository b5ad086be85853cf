/**
 * The unrolled-over-time diagram, as lecture slides draw it: the same cell box once per
 * character, x_t below, y_t above, h_t arrows between the boxes, one set of shared weights.
 */
import { showChar, svg } from "../dom.js";

/** Geometry of one time step in SVG units. */
const STEP = { width: 150, boxWidth: 96, boxHeight: 72, left: 110 };
const ROWS = { y: 52, box: 130, x: 280, height: 390 };
/** A symbol beside y_t, so right and wrong do not rest on colour alone. */
const MARKS = { correct: "✓", wrong: "✗", none: "" };

/**
 * Text with a subscript: "h" + "t".
 * @param {number} x
 * @param {number} y
 * @param {string} base
 * @param {string} subscript
 * @param {string} [cls]
 */
function subText(x, y, base, subscript, cls = "diagram-label") {
  const text = svg("text", { x, y, class: cls, "text-anchor": "middle" }, base);
  text.append(svg("tspan", { "baseline-shift": "sub", class: "diagram-sub" }, subscript));
  return text;
}

/**
 * A straight arrow.
 * @param {number} x1
 * @param {number} y1
 * @param {number} x2
 * @param {number} y2
 */
function arrow(x1, y1, x2, y2) {
  return svg("line", { x1, y1, x2, y2, class: "diagram-arrow", "marker-end": "url(#arrowhead)" });
}

/**
 * @typedef {{tokens: string[], predictions: string[], targets: (string | null)[], cellName: string}}
 *   DiagramData
 */

export class UnrolledDiagram {
  /**
   * @param {HTMLElement} container
   * @param {(step: number) => void} onSelect called when a step is clicked
   */
  constructor(container, onSelect) {
    this.container = container;
    this.onSelect = onSelect;
    /** @type {SVGElement[]} */
    this.steps = [];
    /** @type {SVGElement | null} */
    this.caption = null;
    this.captionText = "";
  }

  /**
   * Draw the diagram for a sequence.
   * @param {DiagramData} data
   */
  build({ tokens, predictions, targets, cellName }) {
    const count = tokens.length;
    const width = STEP.left + count * STEP.width + 40;
    const root = svg("svg", {
      viewBox: `0 0 ${width} ${ROWS.height}`,
      class: "diagram",
      role: "img",
      "aria-label": `${cellName} unrolled over ${count} steps`,
    });
    const defs = svg("defs");
    const marker = svg("marker", {
      id: "arrowhead", viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse",
    });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "diagram-arrowhead" }));
    defs.append(marker);
    root.append(defs);

    const boxTop = ROWS.box - STEP.boxHeight / 2;
    const firstX = STEP.left;
    root.append(
      subText(firstX - 80, ROWS.box - 12, "h", "−1"),
      svg("text", { x: firstX - 80, y: ROWS.box + 18, class: "diagram-note", "text-anchor": "middle" }, "= 0"),
      arrow(firstX - 55, ROWS.box, firstX - 2, ROWS.box),
    );
    this.steps = tokens.map((token, t) => {
      const left = firstX + t * STEP.width;
      const centre = left + STEP.boxWidth / 2;
      const group = svg("g", { class: "diagram-step", "data-step": t });
      const correct = targets[t] === null ? "none" : predictions[t] === targets[t] ? "correct" : "wrong";
      group.append(
        svg("rect", { x: left, y: boxTop, width: STEP.boxWidth, height: STEP.boxHeight, rx: 10, class: "diagram-cell" }),
        svg("text", { x: centre, y: ROWS.box + 7, class: "diagram-cell-name", "text-anchor": "middle" }, cellName),
        arrow(centre, ROWS.x - 26, centre, boxTop + STEP.boxHeight + 2),
        svg("circle", { cx: centre, cy: ROWS.x, r: 24, class: "diagram-input" }),
        svg("text", { x: centre, y: ROWS.x + 8, class: "diagram-char", "text-anchor": "middle" }, showChar(token)),
        subText(centre, ROWS.x + 52, "x", String(t)),
        arrow(centre, boxTop - 2, centre, ROWS.y + 24),
        svg("rect", { x: centre - 24, y: ROWS.y - 24, width: 48, height: 48, rx: 6, class: `diagram-output ${correct}` }),
        svg("text", { x: centre, y: ROWS.y + 8, class: "diagram-char", "text-anchor": "middle" }, showChar(predictions[t])),
        subText(centre - 44, ROWS.y + 6, "y", String(t)),
        svg("text", { x: centre + 38, y: ROWS.y + 8, class: `diagram-mark ${correct}`, "text-anchor": "middle" },
          MARKS[correct]),
      );
      if (t + 1 < count) {
        group.append(
          arrow(left + STEP.boxWidth + 2, ROWS.box, left + STEP.width - 2, ROWS.box),
          subText(left + STEP.boxWidth + (STEP.width - STEP.boxWidth) / 2, ROWS.box - 10, "h", String(t)),
        );
      }
      const title = targets[t] === null ? "no target" : `target “${targets[t]}”`;
      group.append(svg("title", {}, `step ${t}: input “${token}”, predicted “${predictions[t]}”, ${title}`));
      group.setAttribute("tabindex", "0");
      group.setAttribute("role", "button");
      group.setAttribute("aria-label", `show step ${t}`);
      group.addEventListener("click", () => this.onSelect(t));
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter") this.onSelect(t);
      });
      root.append(group);
      return group;
    });
    this.caption = svg("text", { x: width / 2, y: ROWS.height - 8, class: "diagram-note", "text-anchor": "middle" });
    this.caption.textContent = this.captionText;
    root.append(this.caption);
    this.container.replaceChildren(root);
  }

  /**
   * The caption under the steps, naming the shared weights in the chosen notation.
   * @param {string[]} weights e.g. ["W_xh", "W_hh", "W_hy"]
   */
  setSharedWeights(weights) {
    this.captionText = `the same weights ${weights.join(", ")} (and biases) are shared by every step`;
    if (this.caption) this.caption.textContent = this.captionText;
  }

  /**
   * Highlight the current step.
   * @param {number} step
   */
  highlight(step) {
    this.steps.forEach((group, t) => group.classList.toggle("current", t === step));
  }
}
