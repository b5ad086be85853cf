/**
 * Globals of the scripts a page loads before its modules: Plotly.js (/vendor/plotly.min.js)
 * and Swagger UI (/vendor/swagger-ui, on /docs only). Only what the pages use is declared.
 */

declare namespace Plotly {
  /** A trace, a layout or a config: plain objects whose keys Plotly documents. */
  type Figure = object;

  interface Point {
    x: number | string;
    y: number | string;
    customdata?: unknown;
  }

  /** The axis mapping Plotly computed at its last draw (read by explore/overlay.js). */
  interface FullLayout {
    _size: { l: number; t: number; w: number; h: number };
    xaxis: { range: [number, number] };
    yaxis: { range: [number, number] };
  }

  /** A chart's <div> once Plotly has drawn into it. */
  interface GraphDiv extends HTMLDivElement {
    on(event: "plotly_click", handler: (event: { points: Point[] }) => void): void;
    on(event: "plotly_afterplot", handler: () => void): void;
    _fullLayout?: FullLayout;
  }

  type ImageOptions = { format: "png" | "svg"; filename: string; scale?: number };

  function newPlot(root: GraphDiv, data: Figure[], layout: Figure, config: Figure): Promise<GraphDiv>;
  function react(root: GraphDiv, data: Figure[], layout: Figure, config: Figure): Promise<GraphDiv>;
  function extendTraces(
    root: GraphDiv, update: { x: number[][]; y: (number | null)[][] }, indices: number[],
  ): Promise<GraphDiv>;
  function downloadImage(root: HTMLElement, options: ImageOptions): Promise<string>;
  const Plots: { resize(root: GraphDiv): Promise<void> };
  const Icons: { camera: object };
}

declare function SwaggerUIBundle(options: { url: string; domNode: HTMLElement; deepLinking: boolean }): void;
