import { describe, expect, it } from 'vitest';
import { encodeBundleLines, shardLayoutsOf } from '../../../src/engine/bundle-batch.js';
import { spaceOf } from '../../../src/mapping/shard.js';
import { bundleLine } from '../../helpers/bundle-fixture.js';

describe('loading sharded bundle lines', () => {
  const layout = { space: 'docs', shards: 3 };
  const ids = Array.from({ length: 30 }, (_, i) => `d-${i}`);

  it('reads the layout of every run from the manifest info', () => {
    const info = { runs: [{ labels: [{ label: 'Doc', space: 'docs', shards: 3 }] }, { labels: [{ label: 'Tag', space: 'tags' }] }] };
    const layouts = shardLayoutsOf(info);
    expect([...layouts.keys()]).toEqual(['docs-0', 'docs-1', 'docs-2']);
    expect(layouts.get('docs-1')).toEqual(layout);
  });

  it('accepts lines filed under the shard their id hashes to', () => {
    const shard = spaceOf(ids[0]!, layout);
    const mine = ids.filter((id) => spaceOf(id, layout) === shard);
    const batch = encodeBundleLines(
      mine.map((id) => bundleLine(id, shard)),
      `memories/${shard}.ndjson`,
      shard,
      layout,
    );
    expect(batch.spaces).toEqual(mine.map(() => shard));
  });

  it('refuses a line in another shard, or naming another space than its file', () => {
    const id = ids[0]!;
    const wrong = `docs-${(Number(spaceOf(id, layout).slice(-1)) + 1) % 3}`;
    expect(() => encodeBundleLines([bundleLine(id, wrong)], `memories/${wrong}.ndjson`, wrong, layout)).toThrow(
      expect.objectContaining({ code: 'BUNDLE_INVALID', message: expect.stringContaining(`belongs in ${spaceOf(id, layout)}`) }),
    );
    expect(() => encodeBundleLines([bundleLine(id, 'other')], 'memories/docs.ndjson', 'docs')).toThrow(
      expect.objectContaining({ code: 'BUNDLE_INVALID', message: expect.stringContaining('names space other') }),
    );
  });
});
