import { escapeHtml } from './escape-html.js';

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

const WIDTH = 420;
const HEIGHT = 200;
const PAD = { left: 48, right: 12, top: 24, bottom: 28 };
const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989'];

/**
 * A small inline SVG line chart (x = round, y = metric value) with axis labels, so the
 * report needs no script or library. Empty series draw an empty frame.
 */
export function svgLineChart(title: string, series: readonly ChartSeries[]): string {
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const [xMin, xMax] = [Math.min(...xs, 1), Math.max(...xs, 1)];
  let [yMin, yMax] = [Math.min(...ys, 0), Math.max(...ys, 1)];
  if (yMax === yMin) yMax = yMin + 1;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + (xMax === xMin ? plotW / 2 : ((x - xMin) / (xMax - xMin)) * plotW);
  const sy = (y: number) => PAD.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const fmt = (v: number) => String(Number(v.toPrecision(3)));

  const lines = series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const path = pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    const dots = pts
      .map(
        (p) =>
          `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${colour}"><title>${escapeHtml(
            `${s.name} round ${p.x}: ${fmt(p.y)}`,
          )}</title></circle>`,
      )
      .join('');
    const legend = `<text x="${PAD.left + 8 + i * 110}" y="14" fill="${colour}" font-size="12">${escapeHtml(s.name)}</text>`;
    return `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${path}"/>${dots}${legend}`;
  });
  const axes = [
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="#888"/>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + 4}" text-anchor="end" font-size="11">${fmt(yMax)}</text>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end" font-size="11">${fmt(yMin)}</text>`,
    `<text x="${PAD.left}" y="${HEIGHT - 8}" font-size="11">round ${xMin}</text>`,
    `<text x="${PAD.left + plotW}" y="${HEIGHT - 8}" text-anchor="end" font-size="11">round ${xMax}</text>`,
  ];
  return `<svg role="img" aria-label="${escapeHtml(title)}" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">${axes.join('')}${lines.join('')}</svg>`;
}
