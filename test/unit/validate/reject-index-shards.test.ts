import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { spaceOf } from '../../../src/mapping/shard.js';
import { readRejectIndex } from '../../../src/validate/reject-index.js';

describe('reject index over shards', () => {
  it('attributes a rejected memory to its shard when given the layout, to its label space otherwise', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'em-rejects-')), 'rejects.ndjson');
    const ids = ['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6'];
    const line = (id: string | null) =>
      JSON.stringify({ kind: 'node', id, label: 'Person', elementId: `e-${id}`, field: null, code: 'TARGET_REJECTED', reason: 'test' });
    writeFileSync(path, [...ids.map(line), line(null)].join('\n') + '\n');
    const { mapping } = resolveConfig({});
    const plain = await readRejectIndex(path, mapping);
    expect([...plain.bySpace]).toEqual([['person', 7]]);
    const sharded = await readRejectIndex(path, mapping, { shards: { Person: 3 } });
    const expected = new Map<string, number>([['person', 1]]); // no id: no shard to name
    for (const id of ids) {
      const s = spaceOf(id, { space: 'person', shards: 3 });
      expected.set(s, (expected.get(s) ?? 0) + 1);
    }
    expect(sharded.bySpace).toEqual(expected);
  });
});
