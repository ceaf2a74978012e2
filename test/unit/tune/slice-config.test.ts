import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { spaceForLabel } from '../../../src/mapping/node-mapper.js';
import { scratchPrefix, scratchSpace, sliceConfig } from '../../../src/tune/slice-config.js';

const setting = { batchSize: 5_000, workers: 1, inferenceThreads: 2, concurrency: 64 };

describe('sliceConfig', () => {
  it('redirects every label of an Engram run into the scratch space and applies the knobs', () => {
    const base = resolveConfig({
      target: { kind: 'engram', concurrency: 16 },
      mapping: { spaces: { Person: 'people' }, defaultSpace: 'prod-{label}' },
      engine: { pauseMs: 250 },
    });
    const c = sliceConfig(base, setting, '/tmp/slice-1', 'tune-abc123-1', ['Person', 'Document']);
    expect(spaceForLabel('Person', c.mapping)).toBe('tune-abc123-1');
    expect(spaceForLabel('Document', c.mapping)).toBe('tune-abc123-1');
    expect(spaceForLabel('Unlisted', c.mapping)).toBe('tune-abc123-1');
    expect(c.engine).toMatchObject({ batchSize: 5_000, workers: 1, inferenceThreads: 2, edges: false, pauseMs: 250 });
    expect(c.target).toMatchObject({ kind: 'engram', concurrency: 64, onOverflow: 'warn' });
    expect(c.runDir).toBe('/tmp/slice-1/run');
    expect(c.source.labels).toEqual(['Person', 'Document']);
  });

  it('writes a bundle run into a scratch bundle and leaves the mapping alone', () => {
    const base = resolveConfig({ target: { kind: 'bundle', path: '/data/real-bundle' }, mapping: { defaultSpace: 'prod-{label}' } });
    const c = sliceConfig(base, { ...setting, concurrency: null }, '/tmp/slice-2', null, ['Person']);
    expect(c.target.path).toBe('/tmp/slice-2/bundle');
    expect(c.mapping.defaultSpace).toBe('prod-{label}');
  });

  it('names valid scratch spaces and refuses invalid prefixes', () => {
    expect(scratchPrefix()).toMatch(/^tune-[0-9a-f]{6}$/);
    expect(scratchSpace('tune-abc', 3)).toBe('tune-abc-3');
    expect(() => scratchSpace('Tune Space', 1)).toThrow(/scratch space/);
  });
});
