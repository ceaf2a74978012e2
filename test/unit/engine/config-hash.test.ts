import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { configHash } from '../../../src/engine/backfill.js';

describe('configHash', () => {
  const base = resolveConfig({});

  it('changes with the embedding model, so a resume with another model is refused', () => {
    expect(configHash(resolveConfig({ model: { path: './models/other' } }))).not.toBe(configHash(base));
    expect(configHash(resolveConfig({ model: { dtype: 'q8' } }))).not.toBe(configHash(base));
    expect(configHash(resolveConfig({ model: { maxTokens: 128 } }))).not.toBe(configHash(base));
  });

  it('ignores options that do not change what is written', () => {
    expect(configHash(resolveConfig({ model: { batchSize: 4 }, engine: { rate: 100 } }))).toBe(configHash(base));
  });
});
