import { describe, expect, it } from 'vitest';
import { fwht, DedupIndex } from '../helpers/engram-double/dedup-index.js';
import { MinActivationHeap } from '../helpers/engram-double/min-activation-heap.js';
import { LSH_TABLES, lshMissProbability } from '../helpers/engram-double/index.js';
import { unitVector, vectorAtCosine } from './double-client.js';

function missRate(cos: number, pairs: number, seed: number): number {
  const index = new DedupIndex(1);
  const ka = new Uint16Array(LSH_TABLES);
  const kb = new Uint16Array(LSH_TABLES);
  let misses = 0;
  for (let i = 0; i < pairs; i++) {
    const x = unitVector(seed + 2 * i);
    index.hash(Float32Array.from(x), 0, ka);
    index.hash(Float32Array.from(vectorAtCosine(x, cos, seed + 2 * i + 1)), 0, kb);
    if (!ka.some((k, t) => k === kb[t])) misses++;
  }
  return misses;
}

describe('LSH dedup index', () => {
  it('keeps the documented miss probability below 1e-4 at cosine 0.95', () => {
    expect(lshMissProbability(0.95)).toBeLessThan(1e-4);
    expect(lshMissProbability(0.99)).toBeLessThan(lshMissProbability(0.95));
  });

  it('misses pairs at cosine 0.85 at the rate the independent-hyperplane model predicts (5 sigma)', () => {
    const n = 3000;
    const p = lshMissProbability(0.85);
    expect(Math.abs(missRate(0.85, n, 1) - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
  });

  it('misses almost no pair at cosine 0.95 (expected 0.66 in 10,000)', () => {
    expect(missRate(0.95, 10_000, 100_000)).toBeLessThanOrEqual(5);
  });

  it('uses an orthogonal transform (Parseval: |Hx|^2 = n |x|^2)', () => {
    const x = Float64Array.from(unitVector(3, 1024));
    fwht(x);
    expect(x.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1024, 6);
  });
});

describe('eviction heap', () => {
  it('pops lowest activation first, older first on ties, and follows updates', () => {
    const act = [0.5, 0.2, 0.5, 0.9, 0.2];
    const seq = [0, 1, 2, 3, 4];
    const heap = new MinActivationHeap(2, { activation: (s) => act[s]!, sequence: (s) => seq[s]! });
    heap.grow(5);
    for (let s = 0; s < 5; s++) heap.push(s);
    act[1] = 0.95;
    heap.update(1);
    const order: number[] = [];
    while (heap.size > 0) {
      const s = heap.peek();
      order.push(s);
      heap.remove(s);
    }
    expect(order).toEqual([4, 0, 2, 3, 1]);
  });
});
