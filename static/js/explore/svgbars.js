/**
 * Bar charts drawn as plain SVG, for the two charts redrawn at every cursor move (the gates at
 * this step, the top-k predictions). Measured on this project's test machine, one Plotly.react
 * of even five bars took 20–30 ms and of 4 × 96 bars 50–70 ms, over the 16 ms a frame allows;
 * here the axes are drawn once and a move only rewrites the bars' attributes (about 1 ms).
 * Like every chart: a caption, a data table (filled when opened), CSV, PNG and SVG export.
 * All styling is presentation attributes, so the exported SVG looks the same on its own.
 */
import { ChartFigure } from "../charts/figure.js";
import { COLOURS, SIZES } from "../config.js";
import { formatNumber, saveFile, svg } from "../dom.js";

const MARGIN = { left: 78, right: 12, top: 44, bottom: 58 };
const FONT = { family: "system-ui, sans-serif", size: 19, small: 16 };

/**
 * @typedef {{name: string, colour: string}} Group one series of bars (a gate, "p")
 * @typedef {{groups: Group[], count: number, yRange: [number, number], yTicks: number[],
 *   yTitle: string, xTitle: string, xLabels?: string[], valueLabels?: boolean, paths?: boolean}} Frame
 *   `count` bars per group; `xLabels` fixed labels under the bars (else numbered every few);
 *   `paths`: draw each group as one <path> (one attribute write per group and step, for
 *   hundreds of bars; its values are in `data-values`), else one <rect> per bar (`data-value`)
 */

export class SvgBarChart extends ChartFigure {
  /**
   * @param {HTMLElement} container
   * @param {{id: string, title: string, description?: string, width?: number, height?: number}} options
   *   `width` and `height` in viewBox units: the chart scales to its container, keeping its shape
   */
  constructor(container, options) {
    const { title, width = 1000, height = SIZES.smallChartHeight } = options;
    const root = svg("svg", {
      viewBox: `0 0 ${width} ${height}`, width, height, style: `max-width: ${width * 1.25}px`, role: "img", "aria-label": title,
      "font-family": FONT.family, "font-size": FONT.size, class: "plot",
    });
    super(container, options, root);
    this.figure.classList.add("svg-chart");
    this.root = root;
    this.width = width;
    this.height = height;
    this.root.addEventListener("pointerover", (event) => this.onHover(event));
    /** @type {SVGElement[][]} bars[group][i] */
    this.bars = [];
    /** @type {SVGElement[]} */
    this.valueTexts = [];
    /** @type {SVGElement[]} */
    this.xTexts = [];
    this.frameKey = "";
    /** @type {Frame | null} */
    this.frame = null;
    /** @type {number | null} the outlined bar of group 0 */
    this.outlined = null;
    /** @type {SVGElement | null} */
    this.tooltip = null;
    /** @type {SVGElement | null} */
    this.marks = null;
    /** @type {SVGElement[]} one path per group in `paths` mode */
    this.paths = [];
    this.barWidth = 1;
    /** @type {(group: number, i: number) => number} left edge of a bar, in viewBox units */
    this.barLeft = () => 0;
  }

  /** The plot area in viewBox units. */
  area() {
    return { x: MARGIN.left, y: MARGIN.top, w: this.width - MARGIN.left - MARGIN.right, h: this.height - MARGIN.top - MARGIN.bottom };
  }

  /**
   * Pixel row of a value.
   * @param {number} value
   */
  yOf(value) {
    const { y, h } = this.area();
    const [low, high] = this.frame?.yRange ?? [0, 1];
    const clamped = Math.min(Math.max(value, low), high);
    return y + ((high - clamped) / (high - low)) * h;
  }

  /**
   * Build the axes and the bar elements (only when the frame changes).
   * @param {Frame} frame
   */
  setFrame(frame) {
    const key = JSON.stringify(frame);
    if (key === this.frameKey) return;
    this.frameKey = key;
    this.frame = frame;
    const { x, y, w, h } = this.area();
    const nodes = [svg("rect", { x: 0, y: 0, width: this.width, height: this.height, fill: COLOURS.background, class: "chart-ground" })];
    for (const tick of frame.yTicks) {
      const py = this.yOf(tick);
      nodes.push(
        svg("line", { x1: x, x2: x + w, y1: py, y2: py, stroke: tick === 0 ? COLOURS.text : COLOURS.grid, "stroke-width": tick === 0 ? 1.5 : 1,
          class: tick === 0 ? "zero-line" : "grid-line" }),
        svg("text", { x: x - 8, y: py + 6, "text-anchor": "end", fill: COLOURS.text }, formatNumber(tick, 1)),
      );
    }
    nodes.push(
      svg("text", { x: 22, y: y + h / 2, "text-anchor": "middle", fill: COLOURS.text, transform: `rotate(-90 22 ${y + h / 2})` }, frame.yTitle),
      svg("text", { x: x + w / 2, y: this.height - 8, "text-anchor": "middle", fill: COLOURS.text }, frame.xTitle),
    );
    const slot = w / frame.count;
    const barWidth = (slot * 0.86) / frame.groups.length;
    this.barLeft = (g, i) => x + i * slot + slot * 0.07 + g * barWidth;
    this.barWidth = Math.max(barWidth, 0.5);
    this.paths = frame.paths ? frame.groups.map((group) => {
      const path = svg("path", { d: "", fill: group.colour, "data-group": group.name });
      nodes.push(path);
      return path;
    }) : [];
    this.bars = frame.paths ? [] : frame.groups.map((group, g) => Array.from({ length: frame.count }, (_, i) => {
      const bar = svg("rect", {
        x: x + i * slot + slot * 0.07 + g * barWidth, width: Math.max(barWidth, 0.5), y: this.yOf(0), height: 0,
        fill: group.colour, "data-group": group.name, "data-index": i,
      });
      nodes.push(bar);
      return bar;
    }));
    const every = Math.max(1, Math.ceil(frame.count / 24));
    this.xTexts = [];
    for (let i = 0; i < frame.count; i += 1) {
      if (!frame.xLabels && i % every !== 0) continue;
      const label = svg("text", { x: x + (i + 0.5) * slot, y: y + h + 24, "text-anchor": "middle", fill: COLOURS.text,
        "font-size": frame.xLabels ? FONT.size + 4 : FONT.small, "font-family": frame.xLabels ? "ui-monospace, monospace" : FONT.family },
      frame.xLabels ? frame.xLabels[i] : String(i));
      this.xTexts[i] = label;
      nodes.push(label);
    }
    this.valueTexts = frame.valueLabels
      ? Array.from({ length: frame.count }, (_, i) => {
        const text = svg("text", { x: x + (i + 0.5) * slot, y: y, "text-anchor": "middle", fill: COLOURS.text });
        nodes.push(text);
        return text;
      })
      : [];
    if (frame.groups.length > 1) {
      frame.groups.forEach((group, g) => {
        const lx = x + g * 140;
        nodes.push(svg("rect", { x: lx, y: 10, width: 18, height: 18, fill: group.colour }),
          svg("text", { x: lx + 24, y: 26, fill: COLOURS.text }, group.name));
      });
    }
    this.marks = svg("g");
    this.tooltip = svg("title");
    nodes.push(this.marks);
    this.root.replaceChildren(...nodes);
    this.outlined = null;
    this.drawn = true;
  }

  /**
   * The hovered bar's tooltip, written when hovered (not at every step).
   * @param {PointerEvent} event
   */
  onHover(event) {
    const bar = event.target instanceof Element ? event.target.closest("[data-group]") : null;
    const i = this.indexAt(event);
    if (!bar || i === null || !this.tableData || !this.tooltip) return;
    const g = this.tableData.rows.findIndex((row) => row.label === bar.getAttribute("data-group"));
    const value = this.tableData.rows[g]?.values[i] ?? null;
    this.tooltip.textContent = `${bar.getAttribute("data-group")}, ${this.tableData.columns[i]}: ${formatNumber(value, 3)}`;
    bar.append(this.tooltip);
  }

  /**
   * The bar slot under the pointer, or null outside the plot area.
   * @param {MouseEvent} event
   * @returns {number | null}
   */
  indexAt(event) {
    if (!this.frame) return null;
    const box = this.root.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * this.width;
    const { x: left, w } = this.area();
    const i = Math.floor(((x - left) / w) * this.frame.count);
    return i >= 0 && i < this.frame.count ? i : null;
  }

  /**
   * Set every bar's value (and optionally its label, colour and outline).
   * @param {{values: number[][], labels?: string[], colours?: string[], outline?: number | null,
   *   columns: string[]}} data `values[group][i]`; `colours` per bar of a single group;
   *   `columns` name the bars in the data table
   */
  update({ values, labels, colours, outline = null, columns }) {
    const zero = this.yOf(0);
    if (this.paths.length) this.drawPaths(values, zero);
    else values.forEach((row, g) => row.forEach((v, i) => {
      const bar = this.bars[g][i];
      const top = this.yOf(v);
      bar.setAttribute("y", String(Math.min(top, zero)));
      bar.setAttribute("height", String(Math.abs(zero - top)));
      bar.setAttribute("data-value", String(v));
      if (colours) bar.setAttribute("fill", colours[i]);
    }));
    if (outline !== this.outlined) {
      for (const [index, width] of [[this.outlined, 0], [outline, 4]]) {
        const bar = index === null ? null : this.bars[0][index];
        bar?.setAttribute("stroke", width ? COLOURS.text : "none");
        bar?.setAttribute("stroke-width", String(width));
        bar?.classList.toggle("outlined", Boolean(width));
      }
      this.outlined = outline;
    }
    if (labels) labels.forEach((label, i) => {
      if (this.xTexts[i] && this.xTexts[i].textContent !== label) this.xTexts[i].textContent = label;
    });
    this.valueTexts.forEach((text, i) => {
      const v = values[0][i];
      text.setAttribute("y", String(this.yOf(v) - 8));
      text.textContent = formatNumber(v, 3);
    });
    const groups = this.frame?.groups ?? [];
    this.tableData = { corner: "", columns, rows: groups.map((group, g) => ({ label: group.name, values: values[g] })) };
    this.fillTableIfOpen();
  }

  /**
   * Each group's bars as one path: a rectangle per value, from zero to the value.
   * @param {number[][]} values
   * @param {number} zero pixel row of 0
   */
  drawPaths(values, zero) {
    const width = this.barWidth.toFixed(2);
    values.forEach((row, g) => {
      let d = "";
      for (let i = 0; i < row.length; i += 1) {
        const top = this.yOf(row[i]);
        d += `M${this.barLeft(g, i).toFixed(2)} ${zero.toFixed(2)}h${width}V${top.toFixed(2)}h-${width}Z`;
      }
      this.paths[g].setAttribute("d", d);
      this.paths[g].setAttribute("data-values", JSON.stringify(row));
    });
  }

  /**
   * Mark one bar slot with a band (e.g. the selected unit); null removes it.
   * @param {number | null} index
   */
  markSlot(index) {
    if (!this.frame || !this.marks) return;
    const { x, y, w, h } = this.area();
    const slot = w / this.frame.count;
    this.marks.replaceChildren(...(index === null ? [] : [svg("rect", {
      x: x + index * slot, y, width: slot, height: h, fill: "rgba(213, 94, 0, 0.14)",
      stroke: COLOURS.highlight, "stroke-width": 2, "pointer-events": "none", class: "slot-mark",
    })]));
  }

  /** The chart as a standalone SVG document. */
  svgText() {
    return new XMLSerializer().serializeToString(this.root);
  }

  /**
   * Download the chart as SVG or PNG (the SVG drawn on a canvas at twice the size).
   * @param {"svg" | "png"} format
   */
  async downloadImage(format) {
    const text = this.svgText();
    if (format === "svg") {
      saveFile(text, "image/svg+xml", `${this.id}.svg`);
      return;
    }
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = 2 * this.width;
    canvas.height = 2 * this.height;
    canvas.getContext("2d")?.drawImage(image, 0, 0, canvas.width, canvas.height);
    /** @type {Blob | null} */
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    if (blob) saveFile(blob, "image/png", `${this.id}.png`);
  }
}
