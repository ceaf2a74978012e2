import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, appendFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DeadLetterQueue } from '../../../src/live/dlq/dead-letter-queue.js';
import { readJournalLines, type CompactionEvent, type ReadLine } from '../../../src/live/dlq/dlq-journal.js';
import { TargetError } from '../../../src/errors.js';
import { memory, REFUSED } from './memory-graph-database.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const down = new TargetError('TARGET_UNAVAILABLE', 'engram down', { retriable: true, cause: REFUSED });

describe('DeadLetterQueue', () => {
  it('recovers every entry in its state after a reopen, embeddings bit-exact', async () => {
    const dlq = await DeadLetterQueue.open(dir);
    const a = await dlq.recordIntent({ kind: 'memory', memory: memory(1) });
    const b = await dlq.recordIntent({ kind: 'memory', memory: memory(2) });
    const c = await dlq.recordIntent({ kind: 'edge', edge: { source: 'm1', target: 'm2', type: 'READ', weight: 0.25 } });
    const d = await dlq.recordIntent({ kind: 'memory', memory: memory(4) });
    dlq.primaryOk(a);
    dlq.failed(a, down);
    dlq.primaryOk(b);
    dlq.done(b);
    dlq.primaryOk(c);
    dlq.primaryFailed(d);
    await dlq.close();

    const again = await DeadLetterQueue.open(dir);
    const stats = again.stats();
    expect(stats).toMatchObject({ entries: 2, queued: 2, inDoubt: 0, parked: 0, depth: 2 });
    const claimed = await again.claimReady(10, Number.POSITIVE_INFINITY);
    expect(claimed.map((x) => x.seq)).toEqual([a, c]);
    const first = claimed[0]!.op;
    expect(first.kind).toBe('memory');
    if (first.kind === 'memory') {
      expect(Array.from(first.memory.embedding)).toEqual(Array.from(memory(1).embedding));
      expect(first.memory.content).toBe('memory number 1');
    }
    expect(claimed[0]!.attempts).toBe(1);
    expect(claimed[1]!.op).toEqual({ kind: 'edge', edge: { source: 'm1', target: 'm2', type: 'READ', weight: 0.25 } });
    await again.close();
  });

  it('leaves intents without a primary outcome in doubt after a reopen', async () => {
    const dlq = await DeadLetterQueue.open(dir);
    await dlq.recordIntent({ kind: 'memory', memory: memory(1) });
    await dlq.close();
    const again = await DeadLetterQueue.open(dir);
    expect(again.stats()).toMatchObject({ inDoubt: 1, queued: 0, depth: 1 });
    const [entry] = await again.claimInDoubt(5);
    again.resolveInDoubt(entry!.seq, false);
    expect(again.stats().entries).toBe(0);
    await again.close();
  });

  it('cuts a torn last line (a write cut by a crash) and keeps everything before it', async () => {
    const dlq = await DeadLetterQueue.open(dir);
    const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(1) });
    dlq.primaryOk(seq);
    await dlq.close();
    const path = join(dir, 'journal.ndjson');
    const size = (await stat(path)).size;
    await appendFile(path, '{"e":"add","seq":2,"at":1,"op":{"kind":"mem');
    const again = await DeadLetterQueue.open(dir);
    expect(again.stats()).toMatchObject({ entries: 1, queued: 1 });
    expect((await stat(path)).size).toBe(size);
    await again.close();
  });

  it('quarantines a corrupt line in the middle of a journal (one written before commit lines), naming the line', async () => {
    await writeFile(join(dir, 'journal.ndjson'), '{"e":"mark","seq":3}\nnot json\n{"e":"mark","seq":4}\n');
    const dlq = await DeadLetterQueue.open(dir);
    expect(dlq.quarantined).toMatchObject([{ line: 2, text: 'not json', reason: expect.stringContaining('not a journal line') }]);
    await dlq.close();
  });

  it('parks a non-retriable failure at once and a retriable one after maxAttempts, with the reason', async () => {
    const dlq = await DeadLetterQueue.open(dir, { maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 2 });
    const poison = await dlq.recordIntent({ kind: 'memory', memory: memory(1) });
    dlq.primaryOk(poison);
    expect(dlq.failed(poison, new TargetError('TARGET_REJECTED', 'Engram answered 400 INVALID_MEMORY_INPUT', { status: 400 }))).toBe('parked');
    const flaky = await dlq.recordIntent({ kind: 'memory', memory: memory(2) });
    dlq.primaryOk(flaky);
    expect([dlq.failed(flaky, down), dlq.failed(flaky, down), dlq.failed(flaky, down)]).toEqual(['retry', 'retry', 'parked']);
    const parked = dlq.list('parked');
    expect(parked.map((p) => [p.key, p.attempts])).toEqual([
      ['m1', 1],
      ['m2', 3],
    ]);
    expect(parked[0]!.reason).toMatch(/^not retriable: .*INVALID_MEMORY_INPUT/);
    expect(parked[1]!.reason).toMatch(/^gave up after 3 attempts/);
    expect(dlq.unpark()).toBe(2);
    expect(dlq.stats()).toMatchObject({ parked: 0, queued: 2 });
    await dlq.close();
  });

  it('schedules the next attempt with growing, jittered backoff', async () => {
    let now = 1_000_000;
    const dlq = await DeadLetterQueue.open(dir, { retryBaseMs: 10_000, retryMaxMs: 300_000, now: () => now, random: () => 0.5 });
    const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(1) });
    dlq.primaryOk(seq);
    dlq.failed(seq, down);
    expect(await dlq.claimReady(10)).toHaveLength(0);
    now += 7_499; // equal jitter at 0.5: 5,000 + 2,500
    expect(await dlq.claimReady(10)).toHaveLength(0);
    now += 1;
    const [entry] = await dlq.claimReady(10);
    dlq.failed(entry!.seq, down);
    now += 14_999; // second attempt: ceiling 20 s → 15 s
    expect(await dlq.claimReady(10)).toHaveLength(0);
    now += 1;
    expect(await dlq.claimReady(10)).toHaveLength(1);
    await dlq.close();
  });

  it('compacts the journal once done entries dominate, keeping the live ones and the sequence', async () => {
    const dlq = await DeadLetterQueue.open(dir, { compactAboveBytes: 64 * 1024 });
    for (let i = 0; i < 60; i++) {
      const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(i) });
      dlq.primaryOk(seq);
      if (i !== 7) dlq.done(seq);
      else dlq.failed(seq, down);
    }
    await dlq.flush();
    const size = (await stat(join(dir, 'journal.ndjson'))).size;
    expect(size).toBeLessThan(64 * 1024); // 60 × ~4.2 KB written, compacted down to the one live entry
    await dlq.close();
    const again = await DeadLetterQueue.open(dir);
    expect(again.list().map((x) => x.key)).toEqual(['m7']);
    const next = await again.recordIntent({ kind: 'memory', memory: memory(99) });
    expect(next).toBe(61);
    await again.close();
  });

  it('allows one owner per directory and takes over the lock of a dead one', async () => {
    const dlq = await DeadLetterQueue.open(dir);
    await expect(DeadLetterQueue.open(dir)).rejects.toMatchObject({ code: 'DLQ_IO', message: expect.stringContaining(`pid ${process.pid}`) });
    await dlq.close();
    await writeFile(join(dir, 'dlq.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'x' }));
    const again = await DeadLetterQueue.open(dir);
    expect(JSON.parse(await readFile(join(dir, 'dlq.lock'), 'utf8')).pid).toBe(process.pid);
    await again.close();
  });

  it('inspect reads a queue another process holds, without its lock', async () => {
    const dlq = await DeadLetterQueue.open(dir);
    const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(3) });
    dlq.primaryOk(seq);
    dlq.failed(seq, down);
    await dlq.flush();
    const view = await DeadLetterQueue.inspect(dir);
    expect(view.stats).toMatchObject({ entries: 1, queued: 1 });
    expect(view.list()[0]).toMatchObject({ key: 'm3', attempts: 1, lastError: expect.stringContaining('engram down') });
    await dlq.close();
  });

  it('reads journal lines across chunk boundaries, each payload ref pointing at its op', async () => {
    const dlq = await DeadLetterQueue.open(dir);
    for (let i = 0; i < 5; i++) {
      const seq = await dlq.recordIntent({ kind: 'memory', memory: { ...memory(i), content: `ünïcödé ${'é'.repeat(i * 37)} ${i}` } });
      dlq.primaryOk(seq);
    }
    await dlq.recordIntent({ kind: 'edge', edge: { source: 'm1', target: 'm2', type: 'READ', weight: 0.5 } });
    await dlq.close();
    const path = join(dir, 'journal.ndjson');
    const whole = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    const file = await readFile(path);
    for (const chunk of [97, 4096, 1 << 20]) {
      const handle = await open(path, 'r');
      const lines: ReadLine[] = [];
      try {
        expect(await readJournalLines(handle, (l) => lines.push(l), chunk)).toBe(file.length);
      } finally {
        await handle.close();
      }
      expect(lines.map((l) => l.text)).toEqual(whole);
      const adds = lines.filter((l) => l.text.startsWith('{"e":"add"'));
      expect(adds).toHaveLength(6);
      for (const l of adds) {
        const op = file.subarray(l.payload!.offset, l.payload!.offset + l.payload!.length).toString('utf8');
        expect(JSON.parse(op)).toEqual(JSON.parse(l.text).op);
      }
      expect(lines.filter((l) => !l.text.startsWith('{"e":"add"')).every((l) => l.payload === null)).toBe(true);
    }
  });

  it('reads ops back from the journal after compactions, also while a compaction runs', async () => {
    const dlq = await DeadLetterQueue.open(dir, { compactAboveBytes: 32 * 1024, retryBaseMs: 1, retryMaxMs: 1 });
    const kept: number[] = [];
    for (let i = 0; i < 200; i++) {
      const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(i) });
      dlq.primaryOk(seq);
      if (i % 20 === 0) {
        dlq.failed(seq, down);
        kept.push(i);
      } else dlq.done(seq);
    }
    await dlq.flush();
    expect((await stat(join(dir, 'journal.ndjson'))).size).toBeLessThan(200 * 4_000); // compacted on the way
    // claims read the journal while more writes (and compactions) go on
    const more = (async () => {
      for (let i = 200; i < 300; i++) {
        const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(i) });
        dlq.primaryOk(seq);
        dlq.done(seq);
      }
    })();
    await new Promise((r) => setTimeout(r, 2));
    const claimed = await dlq.claimReady(100, Number.POSITIVE_INFINITY);
    await more;
    expect(claimed.map((c) => (c.op.kind === 'memory' ? c.op.memory.id : ''))).toEqual(kept.map((i) => `m${i}`));
    for (const c of claimed) if (c.op.kind === 'memory') expect(c.op.memory.embedding).toEqual(memory(Number(c.op.memory.id.slice(1))).embedding);
    for (const c of claimed) dlq.failed(c.seq, down);
    await dlq.close();
    const again = await DeadLetterQueue.open(dir);
    const reopened = await again.claimReady(100, Number.POSITIVE_INFINITY);
    expect(reopened.map((c) => (c.op.kind === 'memory' ? c.op.memory.content : ''))).toEqual(kept.map((i) => `memory number ${i}`));
    await again.close();
  });

  it('keeps queued ops on disk, not in memory: 20,000 queued 768-d writes add well under their 90 MB of ops to the heap', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const dlq = await DeadLetterQueue.open(dir);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20_000; i += 500) {
      const seqs = await Promise.all(Array.from({ length: 500 }, (_, j) => dlq.recordIntent({ kind: 'memory', memory: memory(i + j) })));
      for (const seq of seqs) dlq.release(seq);
    }
    await dlq.flush();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(dlq.stats().entries).toBe(20_000);
    expect(dlq.stats().journalBytes).toBeGreaterThan(20_000 * 4_000);
    expect(grown).toBeLessThan(20_000 * 1_000); // metadata only (~200-400 B an entry); the ops alone are ~4.5 KB each
    await dlq.close();
  });

  it('keeps appending while a compaction writes its snapshot, and moves the payloads of lines written meanwhile', async () => {
    let compacting = false;
    let compactions = 0;
    const events: string[] = [];
    const onCompaction = (e: CompactionEvent): void => {
      events.push(e.phase);
      compacting = e.phase === 'started';
      if (compacting) compactions++;
    };
    const dlq = await DeadLetterQueue.open(dir, { compactAboveBytes: 256 * 1024, retryBaseMs: 1, retryMaxMs: 1, onCompaction });
    const side = join(dir, 'journal.ndjson.compact');
    const live = new Set<number>();
    // writes logged after a compaction started and durable before it swapped the files
    let durableDuringCompaction = 0;
    const write = async (i: number): Promise<void> => {
      const during = compacting ? compactions : -1;
      const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(i) });
      if (during !== -1 && compacting && compactions === during) durableDuringCompaction++;
      dlq.primaryOk(seq);
      if (i % 10 === 0) {
        dlq.failed(seq, down);
        live.add(i);
      } else dlq.done(seq);
    };
    for (let i = 0; i < 2_000; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => write(i + j)));
    await dlq.flush();
    expect(events.filter((e) => e === 'swapped').length).toBeGreaterThan(2);
    expect(events.filter((e) => e === 'failed')).toEqual([]);
    expect(durableDuringCompaction).toBeGreaterThan(0); // writes did not wait for the snapshots
    expect((await stat(join(dir, 'journal.ndjson'))).size).toBeLessThan(2_000 * 4_000);
    const claimed = await dlq.claimReady(10_000, Number.POSITIVE_INFINITY);
    expect(claimed.map((c) => (c.op.kind === 'memory' ? c.op.memory.id : '')).sort()).toEqual([...live].map((i) => `m${i}`).sort());
    for (const c of claimed) if (c.op.kind === 'memory') expect(c.op.memory.embedding).toEqual(memory(Number(c.op.memory.id.slice(1))).embedding);
    for (const c of claimed) dlq.failed(c.seq, down);
    await dlq.close();
    expect(existsSync(side)).toBe(false);
    const again = await DeadLetterQueue.open(dir);
    expect(again.stats()).toMatchObject({ entries: live.size, queued: live.size });
    const reopened = await again.claimReady(10_000, Number.POSITIVE_INFINITY);
    expect(reopened.map((c) => (c.op.kind === 'memory' ? c.op.memory.content : '')).sort()).toEqual([...live].map((i) => `memory number ${i}`).sort());
    expect(reopened.every((c) => c.attempts === 2)).toBe(true);
    await again.close();
  });
});

describe('stray writes (sent, never answered, able to land later)', () => {
  /** What a kill -9 leaves: the lock of a process that no longer runs. */
  const crashedOwner = async (): Promise<void> =>
    writeFile(join(dir, 'dlq.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'x' }));
  const timedOut = Object.assign(new Error('secondary write timed out after 2000 ms'), { code: 'ETIMEDOUT' });
  const v = (n: number) => ({ kind: 'memory' as const, memory: { ...memory(1), content: `m1 version ${n}` } });

  it('a newer write of a key whose earlier attempt timed out stays queued and is due again once a stray write can no longer land', async () => {
    let now = 1_000_000;
    const dlq = await DeadLetterQueue.open(dir, { now: () => now, strayWriteMs: 30_000 });
    const first = await dlq.recordIntent(v(1));
    dlq.primaryOk(first);
    now += 2_000;
    expect(dlq.failed(first, timedOut)).toBe('retry'); // may still be applied by the server, after anything sent later
    const second = await dlq.recordIntent(v(2));
    dlq.primaryOk(second); // supersedes the first
    now += 300;
    dlq.done(second); // the secondary answered, and read back version 2
    expect(dlq.stats()).toMatchObject({ entries: 1, queued: 1, rechecks: 1, depth: 1, superseded: 1 });
    expect(dlq.list()).toEqual([expect.objectContaining({ seq: second, recheck: true, nextAttemptAt: new Date(1_002_000 + 30_000).toISOString() })]);
    // not before the window has passed, not even in a drain that replays everything
    expect(await dlq.claimReady(10, Number.POSITIVE_INFINITY)).toHaveLength(0);
    now = 1_032_000 - 1;
    expect(await dlq.claimReady(10)).toHaveLength(0);
    now += 1;
    const [again] = await dlq.claimReady(10);
    expect(again).toMatchObject({ seq: second, op: v(2), attempts: 0 });
    dlq.done(second); // read back once more: now it is final
    expect(dlq.stats()).toMatchObject({ entries: 0, rechecks: 0 });
    await dlq.close();
  });

  it('no recheck after a refused connection or an answered error: those writes can never land', async () => {
    const dlq = await DeadLetterQueue.open(dir, { strayWriteMs: 30_000 });
    const answered = new TargetError('TARGET_HTTP', 'Engram answered 503', { status: 503, cause: new Error('socket hang up') });
    for (const err of [down, answered]) {
      const first = await dlq.recordIntent(v(1));
      dlq.primaryOk(first);
      dlq.failed(first, err);
      const second = await dlq.recordIntent(v(2));
      dlq.primaryOk(second);
      dlq.done(second);
      expect(dlq.stats(), String(err)).toMatchObject({ entries: 0, rechecks: 0 });
    }
    await dlq.close();
  });

  it('after a crash every recovered key is fenced (its writes may be on the wire); a recheck survives a reopen and a compaction', async () => {
    let now = 5_000_000;
    const dlq = await DeadLetterQueue.open(dir, { now: () => now });
    const seq = await dlq.recordIntent(v(1));
    dlq.primaryOk(seq); // the process dies while this write is sent to the secondary
    await dlq.close();
    await crashedOwner();

    const reopened = await DeadLetterQueue.open(dir, { now: () => now, strayWriteMs: 10_000 });
    const [claimed] = await reopened.claimReady(10);
    reopened.done(claimed!.seq); // replayed and read back: but the dead process's copy may still land
    expect(reopened.stats()).toMatchObject({ entries: 1, rechecks: 1 });
    await reopened.close();

    now += 1_000;
    const third = await DeadLetterQueue.open(dir, { now: () => now, strayWriteMs: 10_000, compactAboveBytes: 1 });
    expect(third.list()).toEqual([expect.objectContaining({ seq, recheck: true, nextAttemptAt: new Date(5_010_000).toISOString() })]);
    // a compaction keeps the recheck and its due time
    for (let i = 0; i < 10; i++) {
      const s = await third.recordIntent({ kind: 'memory', memory: memory(100 + i) });
      third.primaryFailed(s);
    }
    await third.flush();
    await third.close();
    const lines = (await readFile(join(dir, 'journal.ndjson'), 'utf8')).split('\n');
    expect(lines.some((l) => l.startsWith(`{"e":"snap","seq":${seq},`) && l.includes('"recheck":true'))).toBe(true);
    const fourth = await DeadLetterQueue.open(dir, { now: () => now, strayWriteMs: 0 });
    expect(fourth.list()).toEqual([expect.objectContaining({ seq, recheck: true, nextAttemptAt: new Date(5_010_000).toISOString() })]);
    expect(await fourth.claimReady(10)).toHaveLength(0);
    now = 5_010_000;
    expect(await fourth.claimReady(10)).toHaveLength(1);
    await fourth.close();
  });

  it('a clean close fences nothing new, but hands the fences that still hold to the next owner', async () => {
    let now = 7_000_000;
    const dlq = await DeadLetterQueue.open(dir, { now: () => now, strayWriteMs: 30_000 });
    const first = await dlq.recordIntent(v(1));
    dlq.primaryOk(first);
    dlq.failed(first, timedOut); // may land until 7,030,000
    const other = await dlq.recordIntent({ kind: 'memory', memory: memory(2) });
    dlq.primaryOk(other);
    dlq.failed(other, down); // refused: fences nothing
    const second = await dlq.recordIntent(v(2));
    dlq.primaryOk(second);
    await dlq.close(); // version 2 of m1 never got its secondary write here

    now += 5_000;
    const next = await DeadLetterQueue.open(dir, { now: () => now, strayWriteMs: 30_000 });
    const claimed = await next.claimReady(10, Number.POSITIVE_INFINITY);
    expect(claimed.map((c) => c.seq).sort()).toEqual([other, second]);
    for (const c of claimed) next.done(c.seq);
    // m2 is final; m1's version 2 is read back once the stray version 1 can no longer land
    expect(next.list()).toEqual([expect.objectContaining({ seq: second, recheck: true, nextAttemptAt: new Date(7_030_000).toISOString() })]);
    await next.close();
  });
});
