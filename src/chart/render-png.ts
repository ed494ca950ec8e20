import { createRequire } from 'node:module';

/**
 * A Vega-Lite specification drawn to PNG without a browser or a build step: vega-lite compiles it,
 * vega's headless view draws it to SVG, resvg (a prebuilt native module shipped through npm)
 * rasterises the SVG with the DejaVu Sans font shipped through npm, since a container often has no
 * font at all. The three are loaded when a chart is asked for, never on the CLI's start-up path.
 */

export const CHART_FONT_FAMILY = 'DejaVu Sans';

/** Twice the specification's size in pixels: sharp on a high-density screen, still small. */
const ZOOM = 2;

function fontFile(): string {
  return createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
}

/** The SVG of a Vega-Lite specification (its fonts named, not embedded). */
export async function renderChartSvg(spec: Record<string, unknown>): Promise<string> {
  // One after the other: they share modules, which Jest's ES module loader cannot load twice at once.
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The PNG of a Vega-Lite specification. */
export async function renderChartPng(spec: Record<string, unknown>): Promise<Buffer> {
  const svg = await renderChartSvg(spec);
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: ZOOM },
    font: { fontFiles: [fontFile()], loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY },
  });
  return resvg.render().asPng();
}
