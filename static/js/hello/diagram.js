/**
 * The unrolled-over-time diagram, as lecture slides draw it: the same cell box once per
 * character, x_t below, y_t and its loss L_t above, h_t arrows between the boxes, one set of
 * shared weights. In the backward phase the steps visited so far light up from right to left,
 * and arrows of another colour carry the gradient back: from L_t down into h_t, and from
 * h_{t+1} back into h_t.
 */
import { showChar, svg } from "../dom.js";

/** Geometry of one time step in SVG units. */
const STEP = { width: 150, boxWidth: 96, boxHeight: 72, left: 110 };
const ROWS = { loss: 34, y: 112, box: 210, x: 350, height: 450 };
/** Forward and backward arrows side by side: each this far from the step's centre line. */
const LANE = 11;
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
 * An arrow of the backward pass (hidden until its step is visited), with what it carries as
 * its tooltip.
 * @param {number} x1
 * @param {number} y1
 * @param {number} x2
 * @param {number} y2
 * @param {string} carries
 */
function gradientArrow(x1, y1, x2, y2, carries) {
  const line = svg("line", { x1, y1, x2, y2, class: "diagram-grad", "marker-end": "url(#gradhead)" });
  line.append(svg("title", {}, carries));
  return line;
}

/**
 * An arrowhead marker.
 * @param {string} id
 * @param {string} cls
 * @param {number} [size] in `units`
 * @param {string} [units] "strokeWidth" (grows with the line), or "userSpaceOnUse"
 */
function arrowhead(id, cls, size = 7, units = "strokeWidth") {
  const marker = svg("marker", {
    id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: size, markerHeight: size, markerUnits: units,
    orient: "auto-start-reverse",
  });
  marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: cls }));
  return marker;
}

/**
 * A step's loss as text, "L₂ = 0.00125", or "no target" at the last step.
 * @param {number} x
 * @param {number} t
 * @param {number | null} loss
 */
function lossText(x, t, loss) {
  if (loss === null) return svg("text", { x, y: ROWS.loss + 6, class: "diagram-note", "text-anchor": "middle" }, "no target");
  const text = subText(x, ROWS.loss + 6, "L", String(t), "diagram-loss");
  text.append(svg("tspan", {}, ` = ${loss.toPrecision(3)}`));
  return text;
}

/**
 * @typedef {{tokens: string[], predictions: string[], targets: (string | null)[],
 *   losses: (number | null)[], cellName: string}} DiagramData
 * @typedef {"forward" | "backward"} Phase
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
    this.root = null;
    /** @type {SVGElement | null} */
    this.caption = null;
    this.captionText = "";
    /** @type {Phase} */
    this.phase = "forward";
  }

  /**
   * Draw the diagram for a sequence.
   * @param {DiagramData} data
   */
  build({ tokens, predictions, targets, losses, cellName }) {
    const count = tokens.length;
    const width = STEP.left + count * STEP.width + 40;
    const root = svg("svg", {
      viewBox: `0 0 ${width} ${ROWS.height}`,
      class: "diagram",
      role: "img",
      "aria-label": `${cellName} unrolled over ${count} steps`,
    });
    const defs = svg("defs");
    // The gradient's arrows thicken at the current step; their heads keep one size.
    defs.append(arrowhead("arrowhead", "diagram-arrowhead"), arrowhead("gradhead", "diagram-gradhead", 18, "userSpaceOnUse"));
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
      );
      // What the step puts out: y_t, its mark and its loss (hidden ahead of the forward pass).
      const out = svg("g", { class: "diagram-out" });
      out.append(arrow(centre - LANE, boxTop - 2, centre - LANE, ROWS.y + 26), lossText(centre, t, losses[t]));
      if (losses[t] !== null) {
        out.append(arrow(centre - LANE, ROWS.y - 26, centre - LANE, ROWS.loss + 14));
        group.append(
          gradientArrow(centre + LANE, ROWS.loss + 14, centre + LANE, ROWS.y - 26, `∂L${t}/∂y${t} = p − onehot`),
          gradientArrow(centre + LANE, ROWS.y + 26, centre + LANE, boxTop - 2, `∂L/∂h${t} from this step's output`),
        );
      }
      out.append(
        svg("rect", { x: centre - 24, y: ROWS.y - 24, width: 48, height: 48, rx: 6, class: `diagram-output ${correct}` }),
        svg("text", { x: centre, y: ROWS.y + 8, class: "diagram-char", "text-anchor": "middle" }, showChar(predictions[t])),
        subText(centre - 44, ROWS.y + 6, "y", String(t)),
        svg("text", { x: centre + 38, y: ROWS.y + 8, class: `diagram-mark ${correct}`, "text-anchor": "middle" },
          MARKS[correct]),
      );
      group.append(out);
      if (t + 1 < count) {
        const [right, next] = [left + STEP.boxWidth + 2, left + STEP.width - 2];
        group.append(
          arrow(right, ROWS.box - LANE, next, ROWS.box - LANE),
          subText(left + STEP.boxWidth + (STEP.width - STEP.boxWidth) / 2, ROWS.box - LANE - 10, "h", String(t)),
          gradientArrow(next, ROWS.box + LANE, right, ROWS.box + LANE, `∂L/∂h${t} from step ${t + 1}`),
        );
      }
      const title = targets[t] === null ? "no target" : `target “${targets[t]}”`;
      // Its tooltip, said in full once the step is read (`highlight` shortens it ahead).
      group.dataset.tooltip = `step ${t}: input “${token}”, predicted “${predictions[t]}”, ${title}`;
      group.dataset.tooltipAhead = `step ${t}: input “${token}” (not read yet)`;
      group.append(svg("title", {}, group.dataset.tooltip));
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
    root.append(this.caption);
    this.root = root;
    this.showCaption();
    this.container.replaceChildren(root);
  }

  /** The caption of the phase: the shared weights, or what the backward arrows carry. */
  showCaption() {
    if (!this.caption) return;
    this.caption.textContent = this.phase === "backward"
      ? "backward: the gradient flows right to left, from each loss Lₜ into hₜ, and from hₜ₊₁ into hₜ"
      : this.captionText;
  }

  /**
   * The caption under the steps, naming the shared weights in the chosen notation.
   * @param {string[]} weights e.g. ["W_xh", "W_hh", "W_hy"]
   */
  setSharedWeights(weights) {
    this.captionText = `the same weights ${weights.join(", ")} (and biases) are shared by every step`;
    this.showCaption();
  }

  /**
   * Highlight the current step; going forward, the steps not read yet keep their outputs
   * hidden (a class predicts them before they show); going backward, the steps visited since
   * the last one light up.
   * @param {number} step
   * @param {Phase} [phase]
   */
  highlight(step, phase = "forward") {
    this.phase = phase;
    this.root?.classList.toggle("backward", phase === "backward");
    this.steps.forEach((group, t) => {
      group.classList.toggle("current", t === step);
      group.classList.toggle("visited", phase === "backward" && t >= step);
      const ahead = phase === "forward" && t > step;
      group.classList.toggle("ahead", ahead);
      const tooltip = group.querySelector(":scope > title");
      if (tooltip) tooltip.textContent = (ahead ? group.dataset.tooltipAhead : group.dataset.tooltip) ?? "";
    });
    this.showCaption();
  }
}
