import { describe, expect, it } from 'vitest';
import { PREDICTOR_BYTES_PER_MEMORY, predictorPeakBytes } from '../../../src/dedup/predictor-memory.js';

describe('predictorPeakBytes: what the dedup predictor holds at most', () => {
  const planned = new Map([
    ['a', 1000],
    ['b-0', 500],
    ['b-1', 500],
    ['shared', 300],
  ]);

  it('a label releases its spaces when done: the peak is the largest label', () => {
    expect(predictorPeakBytes([['a'], ['b-0', 'b-1']], planned)).toBe(1000 * PREDICTOR_BYTES_PER_MEMORY);
  });

  it('a space a later label writes to stays held in between', () => {
    // Label 0 writes a and shared; label 1 writes b-0/b-1; label 2 writes shared again: shared is held throughout.
    expect(predictorPeakBytes([['a', 'shared'], ['b-0', 'b-1'], ['shared']], planned)).toBe(1300 * PREDICTOR_BYTES_PER_MEMORY);
    expect(predictorPeakBytes([['b-0', 'b-1'], ['a', 'shared'], ['shared']], planned)).toBe(1300 * PREDICTOR_BYTES_PER_MEMORY);
    expect(predictorPeakBytes([['b-0', 'b-1', 'shared'], ['a'], ['shared']], planned)).toBe(1300 * PREDICTOR_BYTES_PER_MEMORY);
  });

  it('nothing planned holds nothing', () => {
    expect(predictorPeakBytes([], planned)).toBe(0);
  });
});
