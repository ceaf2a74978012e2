import type { TuneSetting } from './tune-types.js';

/** One measured point of the chart. */
export interface ChartPoint {
  setting: TuneSetting;
  recordsPerSecond: number;
  peakRssMb: number;
  recommended: boolean;
}

interface Panel {
  x: number;
  title: string;
  unit: string;
  value: (p: ChartPoint) => number;
}

const W = 960;
const H = 440;
const PANEL_W = 380;
const PANEL_H = 280;
const TOP = 60;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function seriesKey(s: TuneSetting): string {
  return `${s.workers} worker${s.workers === 1 ? '' : 's'} × ${s.inferenceThreads} thread${s.inferenceThreads === 1 ? '' : 's'}${s.concurrency === null ? '' : `, ${s.concurrency} conn`}`;
}

/** A round upper bound for an axis: 1, 2 or 5 × 10^k. */
export function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((m) => m * power >= value) ?? 10) * power;
}

function xScale(batches: number[]): (b: number) => number {
  const lo = Math.log10(Math.min(...batches));
  const hi = Math.log10(Math.max(...batches));
  return (b) => (hi === lo ? PANEL_W / 2 : ((Math.log10(b) - lo) / (hi - lo)) * (PANEL_W - 40) + 20);
}

function axes(panel: Panel, batches: number[], yMax: number, x: (b: number) => number): string[] {
  const out = [`<g transform="translate(${panel.x},${TOP})">`, `<rect width="${PANEL_W}" height="${PANEL_H}" fill="#fafafa" stroke="#999"/>`];
  out.push(`<text x="${PANEL_W / 2}" y="-12" text-anchor="middle" font-size="14" font-weight="bold">${esc(panel.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = PANEL_H - (i / 4) * PANEL_H;
    out.push(
      `<line x1="0" x2="${PANEL_W}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`,
      `<text x="-6" y="${y + 4}" text-anchor="end" font-size="11">${Math.round((yMax * i) / 4)}</text>`,
    );
  }
  for (const b of batches)
    out.push(
      `<line x1="${x(b)}" x2="${x(b)}" y1="${PANEL_H}" y2="${PANEL_H + 5}" stroke="#666"/>`,
      `<text x="${x(b)}" y="${PANEL_H + 18}" text-anchor="middle" font-size="11">${b}</text>`,
    );
  out.push(`<text x="${PANEL_W / 2}" y="${PANEL_H + 36}" text-anchor="middle" font-size="12">batch size (log scale)</text>`);
  out.push(`<text transform="translate(-48,${PANEL_H / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(panel.unit)}</text>`);
  return out;
}

function series(panel: Panel, groups: Map<string, ChartPoint[]>, yMax: number, x: (b: number) => number): string[] {
  const out: string[] = [];
  [...groups.values()].forEach((points, i) => {
    const color = COLORS[i % COLORS.length]!;
    const sorted = [...points].sort((a, b) => a.setting.batchSize - b.setting.batchSize);
    const xy = sorted.map((p) => [x(p.setting.batchSize), PANEL_H - (panel.value(p) / yMax) * PANEL_H] as const);
    if (xy.length > 1)
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${xy.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`);
    sorted.forEach((p, j) => {
      const [cx, cy] = xy[j]!;
      out.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4" fill="${color}"/>`);
      if (p.recommended) out.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="9" fill="none" stroke="#000" stroke-width="2"/>`);
    });
  });
  return out;
}

/**
 * Throughput and peak memory against batch size, one line per pool layout (and Engram connections),
 * the recommended setting ringed. Plain SVG 1.1 with no external references, so any rasteriser reads it.
 */
export function renderTuneChartSvg(points: readonly ChartPoint[], title: string): string {
  const measured = points.filter((p) => p.recordsPerSecond > 0);
  const groups = new Map<string, ChartPoint[]>();
  for (const p of measured) groups.set(seriesKey(p.setting), [...(groups.get(seriesKey(p.setting)) ?? []), p]);
  const batches = [...new Set(measured.map((p) => p.setting.batchSize))].sort((a, b) => a - b);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
  ];
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(title)}</text>`);
  const panels: Panel[] = [
    { x: 80, title: 'throughput', unit: 'records/s', value: (p) => p.recordsPerSecond },
    { x: 80 + PANEL_W + 90, title: 'peak memory', unit: 'peak RSS (MB)', value: (p) => p.peakRssMb },
  ];
  if (batches.length === 0) out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="14">no slice committed a batch</text>`);
  else {
    const x = xScale(batches);
    for (const panel of panels) {
      const yMax = niceCeil(Math.max(...measured.map(panel.value)));
      out.push(...axes(panel, batches, yMax, x), ...series(panel, groups, yMax, x), '</g>');
    }
  }
  [...groups.keys()].forEach((key, i) => {
    const lx = 80 + i * 200;
    out.push(
      `<rect x="${lx}" y="${H - 22}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${lx + 18}" y="${H - 12}" font-size="12">${esc(key)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
