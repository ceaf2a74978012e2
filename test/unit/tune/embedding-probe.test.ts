import { describe, expect, it } from 'vitest';
import { dtypeFidelity, type EmbeddingOptionResult, recommendEmbedding } from '../../../src/tune/embedding-probe.js';

const local = (fp32: number, q8: number): EmbeddingOptionResult[] => [
  { dtype: 'fp32', concurrency: null, textsPerSecond: fp32, error: null },
  { dtype: 'q8', concurrency: null, textsPerSecond: q8, error: null },
];

describe('embedding probe figures', () => {
  it('fidelity: mean and least cosine of row pairs, 1 for identical rows, -1 for opposite ones', () => {
    const a = Float32Array.from([1, 0, 0, 1, 3, 4]);
    const b = Float32Array.from([2, 0, 0, -1, 3, 4]);
    expect(dtypeFidelity(a, b, 2)).toEqual({ texts: 3, meanCosine: Number((1 / 3).toFixed(5)), minCosine: -1 });
  });

  it('recommends q8 only when it is at least 1.1× faster and its mean cosine to fp32 is at least 0.99', () => {
    const close = { texts: 8, meanCosine: 0.995, minCosine: 0.99 };
    expect(recommendEmbedding(local(10, 20), close)?.dtype).toBe('q8');
    expect(recommendEmbedding(local(10, 10.5), close)).toMatchObject({ dtype: 'fp32', reason: expect.stringContaining('under 1.1× faster') });
    expect(recommendEmbedding(local(10, 20), { ...close, meanCosine: 0.9 })).toMatchObject({
      dtype: 'fp32',
      reason: expect.stringContaining('mean cosine under 0.99'),
    });
  });

  it('falls back to the dtype that ran, and to nothing when none ran', () => {
    const failed: EmbeddingOptionResult = { dtype: 'q8', concurrency: null, textsPerSecond: 0, error: 'no onnx/model_quantized.onnx' };
    expect(recommendEmbedding([local(10, 0)[0]!, failed], null)?.dtype).toBe('fp32');
    expect(recommendEmbedding([failed], null)).toBeNull();
  });

  it('provider openai: the fewest requests in flight within 10% of the fastest', () => {
    const remote = [1, 4, 16].map((concurrency, i): EmbeddingOptionResult => ({ dtype: null, concurrency, textsPerSecond: [30, 95, 100][i]!, error: null }));
    expect(recommendEmbedding(remote, null)).toMatchObject({ dtype: null, concurrency: 4 });
  });
});
