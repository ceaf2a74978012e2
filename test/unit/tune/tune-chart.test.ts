import { describe, expect, it } from 'vitest';
import { svgToPng } from '../../../src/tune/tune-artifacts.js';
import { niceCeil, renderTuneChartSvg, type ChartPoint } from '../../../src/tune/tune-chart.js';

function point(batchSize: number, workers: number, recordsPerSecond: number, peakRssMb: number, recommended = false): ChartPoint {
  return { setting: { batchSize, workers, inferenceThreads: 1, concurrency: null }, recordsPerSecond, peakRssMb, recommended };
}

const points = [point(100, 2, 500, 200), point(1_000, 2, 2_000, 400), point(10_000, 2, 4_000, 900, true), point(10_000, 1, 3_000, 800), point(50_000, 2, 0, 0)];

describe('tune chart', () => {
  it('rounds axis tops to 1, 2 or 5 × 10^k', () => {
    expect([niceCeil(0), niceCeil(3), niceCeil(4_000), niceCeil(4_001), niceCeil(900)]).toEqual([1, 5, 5_000, 5_000, 1_000]);
    expect(niceCeil(5_001)).toBe(10_000);
  });

  it('draws each measured point in both panels, one line per pool layout, the recommendation ringed', () => {
    const svg = renderTuneChartSvg(points, 'a <title> & more');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<circle [^>]*r="4"/g)).toHaveLength(2 * 4); // the unmeasured 50,000 slice is left out
    expect(svg.match(/<circle [^>]*r="9"/g)).toHaveLength(2);
    expect(svg.match(/<polyline /g)).toHaveLength(2); // the 2-worker line; the 1-worker series is one point
    expect(svg).toContain('a &lt;title&gt; &amp; more');
    expect(svg).toContain('2 workers × 1 thread');
  });

  it('says so when no slice committed a batch', () => {
    expect(renderTuneChartSvg([point(100, 1, 0, 0)], 't')).toContain('no slice committed a batch');
  });

  it('rasterises to a PNG of the SVG size', async () => {
    const png = await svgToPng(renderTuneChartSvg(points, 'chart'));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([960, 440]);
  });
});
