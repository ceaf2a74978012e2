import { describe, expect, it } from 'vitest';
import { SPACE_ID } from '../../../src/mapping/types.js';
import { fmix32, fnv1a32, shardCount, shardHash, shardSpaces, spaceOf } from '../../../src/mapping/shard.js';

describe('shard routing', () => {
  it('hashes with FNV-1a (32 bit) over the UTF-8 bytes of the memory id', () => {
    // Reference values of the FNV-1a 32-bit test suite.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    // Non-ASCII ids hash their UTF-8 bytes, not UTF-16 code units.
    expect(fnv1a32('\u00e9')).toBe(Math.imul(Math.imul(0x811c9dc5 ^ 0xc3, 0x01000193) ^ 0xa9, 0x01000193) >>> 0);
    // The routing hash is FNV-1a mixed by MurmurHash3's fmix32 (fixed here: changing it would move every memory).
    expect(shardHash('Person:1')).toBe(fmix32(fnv1a32('Person:1')));
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
  });

  it('routes an id to the same shard every time, in every layout of the same count', () => {
    const layout = { space: 'people', shards: 7 };
    const first = Array.from({ length: 1000 }, (_, i) => spaceOf(`Person:${i}`, layout));
    const again = Array.from({ length: 1000 }, (_, i) => spaceOf(`Person:${i}`, { ...layout }));
    expect(again).toEqual(first);
    expect(spaceOf('Person:42', layout)).toBe(`people-${shardHash('Person:42') % 7}`);
    expect(new Set(first)).toEqual(new Set(shardSpaces(layout)));
  });

  it('leaves an unsharded label in its own space', () => {
    expect(spaceOf('anything', { space: 'docs', shards: 1 })).toBe('docs');
    expect(shardSpaces({ space: 'docs', shards: 1 })).toEqual(['docs']);
    expect(shardSpaces({ space: 'docs', shards: 3 })).toEqual(['docs-0', 'docs-1', 'docs-2']);
  });

  it('spreads 100,000 sequential ids evenly (every shard within 15% of its share)', () => {
    for (const shards of [2, 3, 10, 125]) {
      const counts = new Map<string, number>();
      for (let i = 0; i < 100_000; i++) {
        const s = spaceOf(`Person:${i}`, { space: 'person', shards });
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      const share = 100_000 / shards;
      expect(counts.size).toBe(shards);
      for (const n of counts.values()) expect(Math.abs(n - share) / share).toBeLessThan(0.15);
    }
  });

  it('counts shards: explicit, automatic past fill × capacity, never for an unbounded target', () => {
    expect(shardCount(10_000_000, 100_000, 0.8)).toBe(125);
    expect(shardCount(80_000, 100_000, 0.8)).toBe(1);
    expect(shardCount(80_001, 100_000, 0.8)).toBe(2);
    expect(shardCount(500, 120, 0.8)).toBe(6);
    expect(shardCount(10, 100_000, 0.8, 3)).toBe(3);
    expect(shardCount(10_000_000, null, 0.8)).toBe(1);
  });

  it('makes valid Engram space ids', () => {
    for (const s of shardSpaces({ space: 'person', shards: 125 })) expect(s).toMatch(SPACE_ID);
  });
});
