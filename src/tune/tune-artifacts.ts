import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { renderTuneChartSvg, type ChartPoint } from './tune-chart.js';
import type { TuneReport } from './tune.js';
import { sameSetting } from './tune-grid.js';

/** Fonts the PNG uses when the system has them (the SVG names DejaVu Sans first). */
const FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'];

export interface TuneArtifacts {
  json: string;
  svg: string;
  /** Null when the PNG could not be made (then `pngError` says why); the SVG is always written. */
  png: string | null;
  pngError: string | null;
}

export function chartPoints(report: TuneReport): ChartPoint[] {
  const pick = report.recommendation?.setting;
  return report.slices.map((r) => ({
    setting: r.setting,
    recordsPerSecond: r.measurement.recordsPerSecond,
    peakRssMb: r.outcome.peakRssMb,
    recommended: pick !== undefined && sameSetting(pick, r.setting),
  }));
}

/** Rasterises an SVG with resvg (@resvg/resvg-js: a prebuilt native binary shipped inside its npm package). */
export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const fontFiles = FONT_FILES.filter((f) => existsSync(f));
  const resvg = new Resvg(svg, { font: { loadSystemFonts: fontFiles.length === 0, fontFiles, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return resvg.render().asPng();
}

/** Writes `tune-report.json`, `tune-chart.svg` and `tune-chart.png` into `dir`. */
export async function writeTuneArtifacts(report: TuneReport, dir: string): Promise<TuneArtifacts> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'tune-report.json');
  const svgPath = join(dir, 'tune-chart.svg');
  const pngPath = join(dir, 'tune-chart.png');
  await writeFile(json, JSON.stringify(report, null, 2));
  const title = `engram-migrate tune: ${report.target.kind}${report.dryRun ? ' (dry run)' : ''}, ${report.graph.totalNodes} nodes, pause ${report.pauseMs} ms`;
  const svg = renderTuneChartSvg(chartPoints(report), title);
  await writeFile(svgPath, svg);
  try {
    await writeFile(pngPath, await svgToPng(svg));
    return { json, svg: svgPath, png: pngPath, pngError: null };
  } catch (err) {
    return { json, svg: svgPath, png: null, pngError: errorMessage(err) };
  }
}
