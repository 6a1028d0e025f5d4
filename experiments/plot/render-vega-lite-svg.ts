import * as vega from 'vega';
import * as vl from 'vega-lite';

/** A Vega-Lite specification (kept loose: vega-lite's own types are checked when compiling). */
export type VegaLiteSpec = Record<string, unknown>;

/** Renders a Vega-Lite spec to an SVG string, headless (no browser, no canvas). */
export async function renderVegaLiteSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
