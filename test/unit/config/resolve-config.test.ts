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
    expect([
      c.engine.batchSize,
      c.engine.pauseMs,
      c.validate.minCosine,
      c.validate.maxEmbeddingMismatchRate,
      c.validate.maxEdgeMismatchRate,
      c.target.capacityPerSpace,
    ]).toEqual([10_000, 100, 0.99, 0.0001, 0.001, 100_000]);
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
    const c = resolveLayeredConfig({
      file: path,
      env: { NEO4J_URI: 'bolt://env:2', ENGRAM_API_KEY: 'engram_key_a_b' },
      flags: { source: { uri: 'bolt://flag:3' } },
    });
    expect([c.source.uri, c.source.user, c.target.kind, c.target.apiKey]).toEqual(['bolt://flag:3', 'fileuser', 'engram', 'engram_key_a_b']);
  });

  it('reports a malformed file by name', () => {
    const path = file('bad.json', '{ nope');
    expect(() => resolveLayeredConfig({ file: path, env: {} })).toThrow(/bad\.json is not valid JSON/);
  });
});

describe('model section: provider, device, remote key', () => {
  const codeAndPath = (fn: () => unknown): [string, string] | null => {
    try {
      fn();
      return null;
    } catch (err) {
      return [(err as ConfigError).code, (err as ConfigError).path];
    }
  };

  it('needs a url and a model name with provider openai, naming the option', () => {
    expect(codeAndPath(() => resolveConfig({ model: { provider: 'openai', name: 'm' } }))).toEqual(['CONFIG_INVALID', 'model.url']);
    expect(codeAndPath(() => resolveConfig({ model: { provider: 'openai', url: 'http://127.0.0.1:8080' } }))).toEqual(['CONFIG_INVALID', 'model.name']);
    expect(codeAndPath(() => resolveConfig({ model: { provider: 'openai', url: 'http://x:1', name: 'm', device: 'cuda' } }))).toEqual([
      'CONFIG_INVALID',
      'model.device',
    ]);
    expect(codeAndPath(() => resolveConfig({ model: { device: 'gpu' as never } }))).toEqual(['CONFIG_INVALID', 'model.device']);
    expect(codeAndPath(() => resolveConfig({ mapping: { onWrongWidth: 'pad' as never } }))).toEqual(['CONFIG_INVALID', 'mapping.onWrongWidth']);
  });

  it('takes the API key from EMBEDDINGS_API_KEY or EMBEDDINGS_API_KEY_FILE, and refuses a key and a key file together', async () => {
    expect(resolveLayeredConfig({ env: { EMBEDDINGS_API_KEY: 'sk-env' } }).model.apiKey).toBe('sk-env');
    expect(resolveLayeredConfig({ env: { EMBEDDINGS_API_KEY_FILE: file('key', 'sk-file\n') } }).model.apiKey).toBe('sk-file');
    expect(codeAndPath(() => resolveConfig({ model: { apiKey: 'a', apiKeyFile: 'k' } }))).toEqual(['CONFIG_INVALID', 'model.apiKeyFile']);
    const { workerModelOptions } = await import('../../../src/engine/worker-model-options.js');
    const model = resolveConfig({ model: { provider: 'openai', url: 'http://127.0.0.1:8080', name: 'm', apiKeyFile: file('key', 'sk-option\n') } }).model;
    expect(workerModelOptions(model).remote?.apiKey).toBe('sk-option');
    expect(workerModelOptions(resolveConfig({}).model).remote).toBeUndefined();
  });
});
