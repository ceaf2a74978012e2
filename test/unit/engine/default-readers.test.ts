import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { defaultReaders } from '../../../src/engine/backfill.js';

describe('reader threads by default', () => {
  const source = (readers: number) => ({ source: { readers } }) as Parameters<typeof defaultReaders>[0];

  it('into a bundle, one per core; into Engram, the main thread alone', () => {
    expect(defaultReaders(source(0), 'bundle')).toBe(availableParallelism());
    expect(defaultReaders(source(0), 'engram')).toBe(1);
  });

  it('source.readers, when set, decides for either target', () => {
    expect(defaultReaders(source(3), 'engram')).toBe(3);
    expect(defaultReaders(source(1), 'bundle')).toBe(1);
  });
});
