import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { autoReaders } from '../../../src/engine/backfill.js';

describe('reader threads when source.readers is 0', () => {
  it('one per core into a bundle, where the Neo4j read is the ceiling', () => {
    expect(autoReaders(resolveConfig({ target: { kind: 'bundle', path: '/tmp/b' } }))).toBe(availableParallelism());
  });

  it('none besides the main thread into Engram, whose ingest is far below one thread reading', () => {
    expect(autoReaders(resolveConfig({ target: { kind: 'engram', url: 'http://127.0.0.1:1' } }))).toBe(1);
  });
});
