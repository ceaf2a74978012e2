import { describe, expect, it } from 'vitest';
import { DEFAULT_RECOMMEND_OPTIONS, ineligibility, recommend } from '../../../src/tune/recommend.js';
import type { SliceResult, TuneSetting } from '../../../src/tune/tune-types.js';

function result(setting: Partial<TuneSetting>, totalSeconds: number, extra: { ok?: boolean; errorRate?: number; peakRssMb?: number } = {}): SliceResult {
  return {
    setting: { batchSize: 1_000, workers: 1, inferenceThreads: 1, concurrency: 16, ...setting },
    outcome: {
      ok: extra.ok ?? true,
      error: extra.ok === false ? 'TARGET_UNAVAILABLE: down' : null,
      stoppedBy: 'time',
      planMs: 0,
      events: [],
      totalNodes: 0,
      nodesRead: 0,
      memoriesWritten: 0,
      targetRejects: 0,
      retries: 0,
      peakRssMb: extra.peakRssMb ?? 300,
      wallMs: 0,
    },
    measurement: { recordsPerSecond: 1_000_000 / totalSeconds, p99BatchMs: 0, firstBatchMs: 0, batches: 3, nodes: 3_000, errorRate: extra.errorRate ?? 0 },
    projection: {
      nodes: 1_000_000,
      batches: 1_000,
      perBatchMs: 0,
      processingMsPerBatch: 0,
      pauseMs: 100,
      pauseSeconds: 100,
      processingSeconds: 0,
      startupSeconds: 0,
      totalSeconds,
    },
  };
}

describe('recommend', () => {
  it('picks the fastest projected backfill when nothing else comes close', () => {
    const pick = recommend([result({ batchSize: 100 }, 900), result({ batchSize: 10_000 }, 300), result({ batchSize: 50_000 }, 420)]);
    expect(pick?.setting.batchSize).toBe(10_000);
    expect(pick?.reason).toContain('fastest');
  });

  it('prefers fewer target connections among settings within the noise band', () => {
    const pick = recommend([result({ concurrency: 64 }, 100), result({ concurrency: 4 }, 108), result({ concurrency: 16 }, 104)]);
    expect(pick?.setting.concurrency).toBe(4);
    expect(pick?.reason).toContain('within 10%');
  });

  it('takes more connections once fewer are clearly slower (a slow target)', () => {
    const pick = recommend([result({ concurrency: 4 }, 400), result({ concurrency: 16 }, 110), result({ concurrency: 64 }, 100)]);
    expect(pick?.setting.concurrency).toBe(16);
  });

  it('then prefers fewer threads, then less memory', () => {
    expect(recommend([result({ workers: 2 }, 100), result({ workers: 1, inferenceThreads: 1 }, 105)])?.setting.workers).toBe(1);
    expect(
      recommend([result({ batchSize: 50_000 }, 100, { peakRssMb: 2_000 }), result({ batchSize: 10_000 }, 103, { peakRssMb: 600 })])?.setting.batchSize,
    ).toBe(10_000);
  });

  it('never recommends a failed slice, one above the error-rate bar or one above the memory limit', () => {
    const options = { ...DEFAULT_RECOMMEND_OPTIONS, maxRssMb: 1_000 };
    const failed = result({ batchSize: 100 }, 10, { ok: false });
    const erring = result({ batchSize: 200 }, 20, { errorRate: 0.02 });
    const heavy = result({ batchSize: 50_000 }, 30, { peakRssMb: 4_000 });
    const fine = result({ batchSize: 1_000 }, 500);
    expect(recommend([failed, erring, heavy, fine], options)?.setting.batchSize).toBe(1_000);
    expect(ineligibility(failed, options)).toContain('TARGET_UNAVAILABLE');
    expect(ineligibility(erring, options)).toContain('error rate 2.00%');
    expect(ineligibility(heavy, options)).toContain('peak RSS 4000 MB');
    expect(ineligibility(fine, options)).toBeNull();
    expect(recommend([failed, erring], options)).toBeNull();
  });

  it('honours a custom tolerance', () => {
    const slices = [result({ concurrency: 64 }, 100), result({ concurrency: 4 }, 108)];
    expect(recommend(slices, { ...DEFAULT_RECOMMEND_OPTIONS, tolerance: 0.05 })?.setting.concurrency).toBe(64);
    expect(recommend(slices, { ...DEFAULT_RECOMMEND_OPTIONS, tolerance: 0.1 })?.setting.concurrency).toBe(4);
  });
});
