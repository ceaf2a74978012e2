import { describe, expect, it, vi } from 'vitest';
import { encodeBundleLines } from '../../../src/engine/bundle-batch.js';
import { packRecords } from '../../../src/shared/record-buffers.js';
import { bundleLine } from '../../helpers/bundle-fixture.js';

/** Runs `fn` and returns the length of the longest string any Array.prototype.join call made meanwhile. */
function longestJoin(fn: () => void): number {
  const join = vi.spyOn(Array.prototype, 'join');
  let longest = 0;
  try {
    fn();
    longest = Math.max(0, ...join.mock.results.map((r) => (typeof r.value === 'string' ? r.value.length : 0)));
  } finally {
    join.mockRestore();
  }
  return longest;
}

describe('packRecords', () => {
  it('packs records with offsets into a buffer of its own (transferable), multi-byte text included', () => {
    const texts = ['{"a":"é"}\n', '', '{"b":"日本"}\n'];
    const { bytes, offsets } = packRecords(texts.length, (i) => texts[i]!);
    expect(Array.from(offsets)).toEqual([0, 11, 11, 26]);
    expect(Buffer.from(bytes).toString('utf8')).toBe(texts.join(''));
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
  });

  it('load: no string holds more than one record of a batch', () => {
    const big = 'x'.repeat(90_000);
    const lines = Array.from({ length: 40 }, (_, i) => bundleLine(`m${i}`, 'docs', { content: big }).trimEnd());
    let batch: ReturnType<typeof encodeBundleLines> | null = null;
    const longest = longestJoin(() => void (batch = encodeBundleLines(lines, 'memories/docs.ndjson')));
    expect(batch!.ids).toHaveLength(40);
    expect(batch!.offsets[40]).toBeGreaterThan(40 * 90_000);
    expect(longest).toBeLessThan(2 * 100_000);
    const second = Buffer.from(batch!.bytes.subarray(batch!.offsets[1], batch!.offsets[2])).toString('utf8');
    expect(JSON.parse(second)).toMatchObject({ id: 'm1', content: big, memory_space_id: 'docs' });
  });
});
