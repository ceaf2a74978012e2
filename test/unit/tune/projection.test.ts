import { describe, expect, it } from 'vitest';
import { describeProjection, formatDuration, projectBackfill } from '../../../src/tune/projection.js';
import type { SliceMeasurement } from '../../../src/tune/tune-types.js';

function measurement(recordsPerSecond: number): SliceMeasurement {
  return { recordsPerSecond, p99BatchMs: 0, firstBatchMs: 0, batches: 3, nodes: 0, errorRate: 0 };
}

describe('projectBackfill', () => {
  it("reproduces the article's 10M-node arithmetic from a measured rate", () => {
    // 10,000-node batches at 500 ms processing + 100 ms pause = 600 ms each: 16,667 records/s measured.
    const p = projectBackfill({
      measurement: measurement(10_000 / 0.6),
      first: { atMs: 600, nodes: 10_000 },
      nodes: 10_000_000,
      batchSize: 10_000,
      pauseMs: 100,
      pauseMeasured: true,
    });
    expect(p.batches).toBe(1_000);
    expect(p.pauseSeconds).toBeCloseTo(100, 6);
    expect(p.processingMsPerBatch).toBeCloseTo(500, 6);
    expect(p.processingSeconds).toBeCloseTo(500, 6);
    expect(p.startupSeconds).toBeCloseTo(0.1, 6); // the first batch took 600 ms of which 500 ms is steady processing
    expect(p.totalSeconds).toBeCloseTo(600.1, 6);
    expect(describeProjection(p, 10_000)).toContain('10000000 / 10000 = 1000 batches; 1000 × 100 ms pause = 100 s; 1000 × 500 ms processing = 500 s');
  });

  it('adds the pause arithmetically when the slice never paused (dry run)', () => {
    const p = projectBackfill({ measurement: measurement(20_000), first: null, nodes: 1_000_000, batchSize: 1_000, pauseMs: 100, pauseMeasured: false });
    expect(p.processingMsPerBatch).toBeCloseTo(50, 6);
    expect(p.pauseSeconds).toBeCloseTo(100, 6);
    expect(p.totalSeconds).toBeCloseTo(150, 6);
  });

  it('charges small batches the pause many more times (the article: too small is slow)', () => {
    const small = projectBackfill({ measurement: measurement(900), first: null, nodes: 1_000_000, batchSize: 100, pauseMs: 100, pauseMeasured: true });
    const large = projectBackfill({ measurement: measurement(9_000), first: null, nodes: 1_000_000, batchSize: 10_000, pauseMs: 100, pauseMeasured: true });
    expect(small.pauseSeconds).toBeCloseTo(1_000, 6);
    expect(large.pauseSeconds).toBeCloseTo(10, 6);
    expect(small.totalSeconds).toBeGreaterThan(large.totalSeconds * 9);
  });

  it('agrees with the measured time when the slice covered the whole graph', () => {
    // 4 batches of 250 at 200 ms processing + 100 ms pause, first one at 1,000 ms (800 ms start-up).
    const events = [1_000, 1_300, 1_600, 1_900].map((atMs, i) => ({ atMs, nodes: (i + 1) * 250 }));
    const rate = (750 * 1000) / 900;
    const p = projectBackfill({ measurement: measurement(rate), first: events[0]!, nodes: 1_000, batchSize: 250, pauseMs: 100, pauseMeasured: true });
    // The last batch lands at 1,900 ms; the engine then pauses once more.
    expect(p.totalSeconds).toBeCloseTo(2.0, 6);
  });

  it('cannot project without a committed batch', () => {
    const p = projectBackfill({ measurement: measurement(0), first: null, nodes: 10, batchSize: 5, pauseMs: 0, pauseMeasured: true });
    expect(p.totalSeconds).toBe(Infinity);
    expect(describeProjection(p, 5)).toContain('cannot project');
  });
});

describe('formatDuration', () => {
  it('picks seconds, minutes or hours', () => {
    expect([formatDuration(4.25), formatDuration(42), formatDuration(600), formatDuration(9000), formatDuration(Infinity)]).toEqual([
      '4.3 s',
      '42 s',
      '10.0 min',
      '2.5 h',
      '∞',
    ]);
  });
});
