import { describe, expect, it } from 'vitest';
import { planLengthBatches } from '../../../src/embed/length-batches.js';

describe('planLengthBatches', () => {
  it('puts every row in exactly one batch, shortest first, ties in row order', () => {
    const lengths = [50, 3, 200, 3, 12, 256, 7, 50];
    const batches = planLengthBatches(lengths, { batchSize: 4, tokenBudget: 10_000 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(batches).toEqual([
      [1, 3, 6, 4],
      [0, 7, 2, 5],
    ]);
  });

  it('shrinks batches of long texts to the token budget and fills batches of short ones', () => {
    const lengths = [...Array.from({ length: 16 }, () => 8), ...Array.from({ length: 8 }, () => 256)];
    const sizes = planLengthBatches(lengths, { batchSize: 16, tokenBudget: 1024 }).map((b) => b.length);
    expect(sizes).toEqual([16, 4, 4]);
  });

  it('gives a row longer than the budget a batch of its own', () => {
    expect(planLengthBatches([300, 300, 5], { batchSize: 8, tokenBudget: 100 })).toEqual([[2], [0], [1]]);
  });
});
