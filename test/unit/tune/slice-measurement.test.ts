import { describe, expect, it } from 'vitest';
import { measureSlice, percentile, sliceStopReason } from '../../../src/tune/slice-measurement.js';
import type { SliceLimits } from '../../../src/tune/tune-types.js';

const limits: SliceLimits = { sliceMs: 10_000, sliceNodes: 5_000, nodeCap: 100_000, hardMs: 60_000, minBatches: 2 };

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBe(0);
  });
});

describe('sliceStopReason', () => {
  it('waits for two batches before the soft bounds apply', () => {
    expect(sliceStopReason({ elapsedMs: 20_000, nodes: 9_000, batches: 1 }, limits)).toBeNull();
    expect(sliceStopReason({ elapsedMs: 20_000, nodes: 1_000, batches: 2 }, limits)).toBe('time');
    expect(sliceStopReason({ elapsedMs: 1_000, nodes: 6_000, batches: 2 }, limits)).toBe('nodes');
    expect(sliceStopReason({ elapsedMs: 1_000, nodes: 1_000, batches: 5 }, limits)).toBeNull();
  });

  it('applies the hard bounds whatever the batch count', () => {
    expect(sliceStopReason({ elapsedMs: 60_000, nodes: 0, batches: 0 }, limits)).toBe('hard-time');
    expect(sliceStopReason({ elapsedMs: 1, nodes: 100_000, batches: 1 }, limits)).toBe('node-cap');
  });
});

describe('measureSlice', () => {
  const base = { planMs: 1_000, retries: 0, memoriesWritten: 0, targetRejects: 0 };

  it('takes the rate between the first and the last batch, so the pipeline fill does not count', () => {
    // First batch after 4 s (start-up), then one batch of 1,000 every 500 ms.
    const events = [4_000, 4_500, 5_000, 5_500].map((atMs, i) => ({ atMs, nodes: (i + 1) * 1_000 }));
    const m = measureSlice({ ...base, events });
    expect(m.recordsPerSecond).toBeCloseTo(2_000, 6);
    expect(m.firstBatchMs).toBe(4_000);
    expect(m.batches).toBe(4);
    expect(m.nodes).toBe(4_000);
    expect(m.p99BatchMs).toBe(500);
  });

  it('takes every node over the time since the plan when fewer batches are in (ragged pages of parallel readers)', () => {
    expect(measureSlice({ ...base, events: [{ atMs: 3_000, nodes: 500 }] }).recordsPerSecond).toBeCloseTo(250, 6);
    const ragged = measureSlice({
      ...base,
      events: [
        { atMs: 5_000, nodes: 1_000 },
        { atMs: 5_100, nodes: 1_001 },
        { atMs: 6_000, nodes: 2_000 },
      ],
    });
    expect(ragged.recordsPerSecond).toBeCloseTo(400, 6);
    expect(ragged.p99BatchMs).toBe(900);
    expect(measureSlice({ ...base, events: [{ atMs: 3_000, nodes: 500 }] }).p99BatchMs).toBe(2_000);
  });

  it('reports the slowest interval as P99 of a few batches and the error rate per write attempt', () => {
    const events = [0, 100, 200, 900, 1_000].map((atMs, i) => ({ atMs: atMs + 2_000, nodes: (i + 1) * 100 }));
    const m = measureSlice({ ...base, events, memoriesWritten: 490, targetRejects: 2, retries: 8 });
    expect(m.p99BatchMs).toBe(700);
    expect(m.errorRate).toBeCloseTo(10 / 500, 9);
  });

  it('gives zeros when no batch was committed', () => {
    expect(measureSlice({ ...base, events: [] })).toMatchObject({ recordsPerSecond: 0, batches: 0, nodes: 0 });
  });
});
