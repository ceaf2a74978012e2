import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { resolveConfig, resolveLayeredConfig } from '../../../src/config/resolve-config.js';

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'em-config-'));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe('resolveConfig', () => {
  it('fills the article defaults', () => {
    const c = resolveConfig({});
    expect([c.engine.batchSize, c.engine.pauseMs, c.validate.minCosine, c.validate.maxEmbeddingMismatchRate, c.validate.maxEdgeMismatchRate, c.target.capacityPerSpace]).toEqual([10_000, 100, 0.99, 0.0001, 0.001, 100_000]);
    expect(c.mapping.edgeWeights.READ).toEqual({ property: 'duration', divisor: 300, max: 1, min: 0 });
    expect(Object.isFrozen(c.engine)).toBe(true);
  });

  it('names the option path and the problem', () => {
    const err = (() => {
      try {
        resolveConfig({ engine: { batchSize: -5 } });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.path).toBe('engine.batchSize');
  });

  it('refuses unknown keys instead of ignoring a typo', () => {
    expect(() => resolveConfig({ engine: { batchsize: 5 } as never })).toThrow(/engine\.batchsize: unknown option/);
  });

  it('refuses an invalid space id in the label map', () => {
    expect(() => resolveConfig({ mapping: { spaces: { Person: 'People!' } } })).toThrow(ConfigError);
  });
});

describe('layering: file < environment < flags', () => {
  it('applies each layer over the one below', () => {
    const path = file('c.yaml', 'source:\n  uri: bolt://file:1\n  user: fileuser\ntarget:\n  kind: engram\n');
    const c = resolveLayeredConfig({ file: path, env: { NEO4J_URI: 'bolt://env:2', ENGRAM_API_KEY: 'engram_key_a_b' }, flags: { source: { uri: 'bolt://flag:3' } } });
    expect([c.source.uri, c.source.user, c.target.kind, c.target.apiKey]).toEqual(['bolt://flag:3', 'fileuser', 'engram', 'engram_key_a_b']);
  });

  it('reports a malformed file by name', () => {
    const path = file('bad.json', '{ nope');
    expect(() => resolveLayeredConfig({ file: path, env: {} })).toThrow(/bad\.json is not valid JSON/);
  });
});
