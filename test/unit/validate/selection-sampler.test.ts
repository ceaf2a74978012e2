import { describe, expect, it } from 'vitest';
import { ReservoirSampler, SelectionSampler } from '../../../src/validate/selection-sampler.js';

function select(n: number, population: number, seed: number): number[] {
  const s = new SelectionSampler(n, population, seed);
  const out: number[] = [];
  for (let i = 0; i < population; i++) if (s.offer()) out.push(i);
  return out;
}

/** Pearson chi-square of observed counts against a uniform expectation. */
function chiSquare(counts: number[], expected: number): number {
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

// Upper 0.1% points of the chi-square distribution (df 49 and 99): a fair sampler fails with p = 0.001.
const CHI2_DF49_P001 = 85.35;
const CHI2_DF99_P001 = 148.23;

describe('SelectionSampler (Algorithm S)', () => {
  it('selects exactly n of N, or all when N ≤ n, in offer order', () => {
    for (const [n, N] of [
      [0, 10],
      [1, 1],
      [7, 100],
      [100, 100],
      [150, 100],
      [1000, 123_457],
    ] as const) {
      const picked = select(n, N, 3);
      expect(picked.length).toBe(Math.min(n, N));
      expect(new Set(picked).size).toBe(picked.length);
      expect(picked.every((x, i) => i === 0 || x > picked[i - 1]!)).toBe(true);
    }
  });

  it('is reproducible from the seed and differs across seeds', () => {
    expect(select(50, 10_000, 42)).toEqual(select(50, 10_000, 42));
    expect(select(50, 10_000, 42)).not.toEqual(select(50, 10_000, 43));
  });

  it('includes every item with probability n/N (chi-square over 4,000 seeds)', () => {
    const N = 50;
    const n = 10;
    const trials = 4000;
    const counts = new Array<number>(N).fill(0);
    for (let seed = 0; seed < trials; seed++) for (const i of select(n, N, seed)) counts[i]!++;
    expect(chiSquare(counts, (trials * n) / N)).toBeLessThan(CHI2_DF49_P001);
  });

  it('gives every pair of items the same chance of being selected together', () => {
    // Uniform subsets: P(i and j) = n(n-1) / (N(N-1)) for every pair; check the pairs of item 0 and of item N-1.
    const N = 20;
    const n = 5;
    const trials = 6000;
    const withFirst = new Array<number>(N).fill(0);
    const withLast = new Array<number>(N).fill(0);
    for (let seed = 0; seed < trials; seed++) {
      const picked = new Set(select(n, N, seed + 10_000));
      for (let j = 0; j < N; j++) {
        if (picked.has(0) && picked.has(j) && j !== 0) withFirst[j]!++;
        if (picked.has(N - 1) && picked.has(j) && j !== N - 1) withLast[j]!++;
      }
    }
    const expected = (trials * n * (n - 1)) / (N * (N - 1));
    const sd = Math.sqrt(expected);
    for (let j = 1; j < N - 1; j++) {
      expect(Math.abs(withFirst[j]! - expected)).toBeLessThan(5 * sd);
      expect(Math.abs(withLast[j]! - expected)).toBeLessThan(5 * sd);
    }
  });

  it('spreads a 100k sample of a 1M population evenly over the key order', () => {
    const picked = select(100_000, 1_000_000, 9);
    expect(picked.length).toBe(100_000);
    const buckets = new Array<number>(100).fill(0);
    for (const i of picked) buckets[Math.floor(i / 10_000)]!++;
    expect(chiSquare(buckets, 1000)).toBeLessThan(CHI2_DF99_P001);
  });

  it('hands the remaining quota to extra items when the population grew while streaming', () => {
    const s = new SelectionSampler(5, 3, 1);
    const taken = Array.from({ length: 10 }, () => s.offer()).filter(Boolean).length;
    expect(taken).toBe(3); // min(n, announced N): never more than announced
    expect(() => new SelectionSampler(-1, 3, 1)).toThrow(RangeError);
  });
});

describe('ReservoirSampler (Algorithm R)', () => {
  it('keeps every item while it has room, then a uniform sample of the stream', () => {
    const N = 40;
    const k = 8;
    const trials = 4000;
    const counts = new Array<number>(N).fill(0);
    for (let seed = 0; seed < trials; seed++) {
      const r = new ReservoirSampler(k, seed);
      const slots = new Array<number>(k).fill(-1);
      for (let i = 0; i < N; i++) {
        const slot = r.offer();
        if (i < k) expect(slot).toBe(i);
        if (slot >= 0) slots[slot] = i;
      }
      expect(r.size).toBe(k);
      for (const i of slots) counts[i]!++;
    }
    // df 39: upper 0.1% point 72.05.
    expect(chiSquare(counts, (trials * k) / N)).toBeLessThan(72.05);
  });

  it('starts a new window after reset', () => {
    const r = new ReservoirSampler(3, 1);
    for (let i = 0; i < 10; i++) r.offer();
    r.reset();
    expect(r.seen).toBe(0);
    expect([r.offer(), r.offer()]).toEqual([0, 1]);
    expect(r.size).toBe(2);
  });
});
