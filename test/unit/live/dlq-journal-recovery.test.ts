import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../src/live/dlq/dead-letter-queue.js';
import { memory } from './memory-graph-database.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-recovery-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const journal = (): string => join(dir, 'journal.ndjson');
const quarantine = (): string => join(dir, 'journal.quarantine.ndjson');

/** A queue with `n` pending memories m1..mn, closed. */
async function queueOf(n: number): Promise<void> {
  const dlq = await DeadLetterQueue.open(dir);
  for (let i = 1; i <= n; i++) dlq.primaryOk(await dlq.recordIntent({ kind: 'memory', memory: memory(i) }));
  await dlq.close();
}

describe('dead-letter journal recovery', () => {
  it('quarantines an unreadable line inside a committed group, with its reason, and opens the queue', async () => {
    await queueOf(2);
    const lines = (await readFile(journal(), 'utf8')).split('\n');
    lines.splice(1, 0, 'garbage {not json', '{"e":"warp","seq":"x"}'); // inside the first group commit
    await writeFile(journal(), lines.join('\n'));
    const dlq = await DeadLetterQueue.open(dir);
    expect(dlq.stats()).toMatchObject({ entries: 2, queued: 2 });
    expect(dlq.quarantined.map((q) => q.text)).toEqual(['garbage {not json', '{"e":"warp","seq":"x"}']);
    const kept = (await readFile(quarantine(), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(kept).toHaveLength(2);
    expect(kept[0]).toMatchObject({ line: 2, text: 'garbage {not json', reason: expect.stringContaining('not a journal line') });
    expect(kept[1]).toMatchObject({ line: 3, reason: expect.stringContaining('not a journal event') });
    expect((await dlq.claimReady(10, Infinity)).map((c) => c.op.kind === 'memory' && c.op.memory.id)).toEqual(['m1', 'm2']);
    await dlq.close();
    // the journal was rewritten without them: a second open quarantines nothing
    const again = await DeadLetterQueue.open(dir);
    expect(again.quarantined).toEqual([]);
    expect(again.stats()).toMatchObject({ entries: 2 });
    await again.close();
  });

  it('treats an unreadable line of the last group commit as torn: cut with the rest of its group, nothing quarantined', async () => {
    await queueOf(2);
    const size = (await readFile(journal())).length;
    // a group write cut by a crash: its lines are there, the commit line is not, one line is garbage
    await appendFile(journal(), '{"e":"done","seq":1}\n\u0000\u0000\u0000garbage\n{"e":"done","seq":2}\n');
    const dlq = await DeadLetterQueue.open(dir);
    expect(dlq.quarantined).toEqual([]);
    expect(existsSync(quarantine())).toBe(false);
    // the readable line before the garbage is kept (complete, just never acknowledged); the group after it is dropped
    expect(dlq.stats()).toMatchObject({ entries: 1 });
    expect((await readFile(journal())).length).toBe(size + '{"e":"done","seq":1}\n'.length);
    await dlq.close();
  });

  it('recovers from a full disk (ENOSPC) once space is back: appends fail meanwhile, then succeed, and the journal matches the queue', async () => {
    let full = false;
    const io = {
      write: async (handle: FileHandle, data: Buffer): Promise<void> => {
        if (full) {
          await handle.write(data, 0, data.length >> 1); // a partial write, as a filling disk leaves
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        let at = 0;
        while (at < data.length) at += (await handle.write(data, at, data.length - at)).bytesWritten;
      },
    };
    const dlq = await DeadLetterQueue.open(dir, { io });
    const a = await dlq.recordIntent({ kind: 'memory', memory: memory(1) });
    dlq.primaryOk(a);
    await dlq.flush();
    full = true;
    await expect(dlq.recordIntent({ kind: 'memory', memory: memory(2) })).rejects.toMatchObject({ code: 'DLQ_IO', cause: { code: 'ENOSPC' } });
    dlq.done(a); // its line is lost with the disk full
    await expect(dlq.flush()).rejects.toMatchObject({ code: 'DLQ_IO' });
    expect(dlq.stats()).toMatchObject({ entries: 0 }); // the failed intent is not left behind in memory
    full = false;
    const c = await dlq.recordIntent({ kind: 'memory', memory: memory(3) });
    dlq.primaryOk(c);
    await dlq.flush();
    await dlq.flush(); // the repair compaction runs at the flush after the first good write
    await dlq.close();
    const again = await DeadLetterQueue.open(dir);
    expect(again.quarantined).toEqual([]);
    expect(again.stats()).toMatchObject({ entries: 1, queued: 1, inDoubt: 0 });
    expect((await again.claimReady(5, Infinity)).map((x) => x.op.kind === 'memory' && x.op.memory.id)).toEqual(['m3']);
    await again.close();
  });
});
