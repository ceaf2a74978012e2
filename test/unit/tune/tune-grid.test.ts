import { describe, expect, it } from 'vitest';
import { defaultConcurrencyGrid, fullGrid, poolCombos, sameSetting, stageSettings } from '../../../src/tune/tune-grid.js';

const grid = { batchSizes: [100, 1_000, 10_000], workers: [1, 2], inferenceThreads: [1, 2], concurrency: [4, 16, 64], cores: 2 };

describe('tune grid', () => {
  it('keeps only pool layouts that fit the cores', () => {
    expect(poolCombos([1, 2], [1, 2], 2)).toEqual([
      { workers: 1, inferenceThreads: 1 },
      { workers: 1, inferenceThreads: 2 },
      { workers: 2, inferenceThreads: 1 },
    ]);
    expect(poolCombos([1, 2], [1, 2], 4)).toHaveLength(4);
  });

  it('full grid is every batch × layout × connection count', () => {
    const all = fullGrid(grid);
    expect(all).toHaveLength(3 * 3 * 3);
    expect(new Set(all.map((s) => JSON.stringify(s))).size).toBe(all.length);
    expect(fullGrid({ ...grid, concurrency: [] }).every((s) => s.concurrency === null)).toBe(true);
  });

  it('staged search varies one knob at a time around the best setting', () => {
    const best = { batchSize: 1_000, workers: 2, inferenceThreads: 1, concurrency: 16 };
    expect(stageSettings(0, best, grid).map((s) => s.batchSize)).toEqual([100, 1_000, 10_000]);
    expect(stageSettings(1, best, grid).every((s) => s.batchSize === 1_000 && s.concurrency === 16)).toBe(true);
    expect(stageSettings(2, best, grid).map((s) => s.concurrency)).toEqual([4, 16, 64]);
    expect(stageSettings(2, { ...best, concurrency: null }, grid)).toEqual([]);
    expect(stageSettings(3, best, grid)).toEqual([]);
  });

  it('derives connection counts around the configured one', () => {
    expect(defaultConcurrencyGrid(16)).toEqual([4, 16, 64]);
    expect(defaultConcurrencyGrid(1)).toEqual([1, 4]);
  });

  it('compares settings by every knob', () => {
    const a = { batchSize: 1, workers: 1, inferenceThreads: 1, concurrency: null };
    expect(sameSetting(a, { ...a })).toBe(true);
    expect(sameSetting(a, { ...a, concurrency: 4 })).toBe(false);
  });
});
