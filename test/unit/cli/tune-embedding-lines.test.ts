import { describe, expect, it } from 'vitest';
import { formatEmbeddingProbe } from '../../../src/cli/tune-command.js';

describe('tune printout of the embedding probe', () => {
  it('prints nothing without a probe, and texts/s per option, the fp32/q8 cosine and the pick with one', () => {
    expect(formatEmbeddingProbe(null)).toEqual([]);
    const lines = formatEmbeddingProbe({
      provider: 'local',
      missing: 93,
      texts: 32,
      options: [
        { dtype: 'fp32', concurrency: null, textsPerSecond: 5.9, error: null },
        { dtype: 'q8', concurrency: null, textsPerSecond: 0, error: 'no onnx/model_quantized.onnx' },
      ],
      fidelity: { texts: 32, meanCosine: 0.9615, minCosine: 0.95065 },
      recommendation: { dtype: 'fp32', concurrency: null, reason: 'the only dtype that ran' },
    }).join('\n');
    expect(lines).toContain('93 nodes without an embedding; 32 of their texts timed per option');
    expect(lines).toMatch(/fp32\s+│?\s*-\s+│?\s*5\.9/);
    expect(lines).toContain('no onnx/model_quantized.onnx');
    expect(lines).toContain('mean cosine 0.9615, least 0.95065');
    expect(lines).toContain('embedding: the only dtype that ran');
  });
});
