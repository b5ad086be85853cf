/**
 * A Plotly chart in a ChartFigure (caption, data table, CSV/PNG/SVG export). The figure is
 * created once with Plotly.newPlot; every later update goes through Plotly.react with a
 * transition, so stepping animates instead of redrawing.
 */
import { COLOURS, SIZES, TIMINGS } from "../config.js";
import { el } from "../dom.js";
import { presenting } from "../present.js";
import { ChartFigure } from "./figure.js";
import { plotlyReady } from "./plotly.js";

/**
 * Layout shared by every chart: large fonts, high contrast, tight margins.
 * @param {number} height
 * @returns {object}
 */
function baseLayout(height) {
  return {
    height,
    margin: { l: 64, r: 24, t: 12, b: 56 },
    font: { size: presenting() ? SIZES.presenterFont : SIZES.font, color: COLOURS.text, family: "system-ui, sans-serif" },
    paper_bgcolor: COLOURS.background,
    plot_bgcolor: COLOURS.background,
    showlegend: false,
    transition: { duration: TIMINGS.transition, easing: "cubic-in-out" },
  };
}

/** @typedef {{id: string, title: string, description?: string, height?: number}} ChartOptions */

export class Chart extends ChartFigure {
  /**
   * @param {HTMLElement} container element the figure is appended to
   * @param {ChartOptions} options `height` in pixels
   */
  constructor(container, options) {
    const plot = /** @type {Plotly.GraphDiv} */ (el("div", { class: "plot", role: "img", "aria-label": options.title }));
    super(container, options, plot);
    /** The Plotly graph div. */
    this.plot = plot;
    this.height = options.height ?? SIZES.chartHeight;
    // Until its first drawing the chart holds its place: nothing below it jumps when it comes.
    plot.style.minHeight = `${this.height}px`;
    // One config object for the chart's life (made at the first drawing, once Plotly is there):
    // Plotly.react compares it with the last one, and a new object (a new SVG button callback)
    // counts as a change and rebuilds the figure.
    /** @type {object | null} */
    this.plotConfig = null;
    new ResizeObserver(() => {
      if (this.drawn) Plotly.Plots.resize(this.plot);
    }).observe(this.plot);
    /** @type {[object[], object, import("./table.js").TableData] | null} the last drawing */
    this.last = null;
    // Full screen (`F`, present.js) or back: draw again at the screen's height or the chart's own.
    document.addEventListener("fullscreenchange", () => {
      if (this.last && (this.fullScreen() || this.plot.offsetHeight > this.height + 1)) this.render(...this.last);
    });
    // The presenter view on or off: the chart's type follows the page's.
    document.addEventListener("unrolled:present", () => {
      if (this.last) this.render(...this.last);
    });
  }

  /** Whether this chart is what the screen shows full. */
  fullScreen() {
    return document.fullscreenElement?.contains(this.figure) ?? false;
  }

  /**
   * Draw (first call) or update (later calls) the figure and its table.
   * @param {object[]} traces
   * @param {object} layout
   * @param {import("./table.js").TableData} tableData
   * @returns {Promise<void>}
   */
  async render(traces, layout, tableData) {
    this.tableData = tableData;
    this.last = [traces, layout, tableData];
    this.fillTableIfOpen();
    /** @type {Record<string, unknown>} */
    const fullLayout = { ...baseLayout(this.height), ...layout };
    if (this.fullScreen()) fullLayout.height = window.innerHeight - this.caption.offsetHeight - 48;
    if (!this.plotConfig) {
      await plotlyReady;
      this.plotConfig ??= this.config();
    }
    if (this.drawn) {
      await Plotly.react(this.plot, traces, fullLayout, this.plotConfig);
    } else {
      this.drawn = true;
      await Plotly.newPlot(this.plot, traces, fullLayout, this.plotConfig);
      this.plot.style.minHeight = "";
    }
  }

  /** Plotly options: PNG and SVG export in the mode bar, no logo. */
  config() {
    return {
      displaylogo: false,
      responsive: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
      toImageButtonOptions: { format: "png", filename: this.id, scale: 2 },
      modeBarButtonsToAdd: [
        {
          name: "Download plot as SVG",
          icon: Plotly.Icons.camera,
          click: (/** @type {HTMLElement} */ gd) => Plotly.downloadImage(gd, { format: "svg", filename: this.id }),
        },
      ],
    };
  }

  /**
   * Download the chart as an image (Plotly's own export).
   * @param {"png" | "svg"} format
   */
  downloadImage(format) {
    Plotly.downloadImage(this.plot, { format, filename: this.id, scale: format === "png" ? 2 : 1 });
  }
}
