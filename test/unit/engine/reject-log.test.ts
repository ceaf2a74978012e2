import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RejectLog } from '../../../src/engine/reject-log.js';
import type { RejectRecord } from '../../../src/mapping/types.js';

const reject = (id: string, code: RejectRecord['code']): RejectRecord => ({
  kind: 'node',
  id,
  label: 'L',
  elementId: null,
  field: 'id',
  code,
  reason: 'because',
});

it('counts the rejects of the whole run after a resume, and drops lines written after the checkpoint', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'em-rejects-')), 'rejects.ndjson');
  const first = await RejectLog.open(path, 0);
  await first.add([reject('a', 'MISSING_KEY'), reject('b', 'DUPLICATE_KEY')]);
  const checkpointed = await first.sync();
  await first.add([reject('lost', 'MISSING_KEY')]); // after the last checkpoint: gone on resume
  await first.close();
  const resumed = await RejectLog.open(path, checkpointed);
  await resumed.add([reject('c', 'MISSING_KEY')]);
  await resumed.close();
  expect(Object.fromEntries(resumed.byCode)).toEqual({ MISSING_KEY: 2, DUPLICATE_KEY: 1 });
  expect(resumed.sample.map((r) => r.id)).toEqual(['a', 'b', 'c']);
});
