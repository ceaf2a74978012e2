import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../src/live/dlq/dead-letter-queue.js';
import { acquireDlqLock, currentProcessIdentity, readDlqLock } from '../../../src/live/dlq/dlq-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const self = currentProcessIdentity();
const lockPath = (): string => join(dir, 'dlq.lock');
const writeLock = (info: Record<string, unknown>): Promise<void> =>
  writeFile(lockPath(), JSON.stringify({ since: '2026-01-01T00:00:00Z', token: 'old-token', ...info }));

describe('dead-letter queue lock', () => {
  it('records boot id, host, pid and start time', async () => {
    const dlq = await DeadLetterQueue.open(dir);
    const info = JSON.parse(await readFile(lockPath(), 'utf8'));
    expect(info).toMatchObject({ pid: process.pid, host: self.host, bootId: self.bootId, startTime: self.startTime });
    expect(self.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isInteger(self.startTime)).toBe(true);
    await dlq.close();
  });

  it('takes over a lock whose pid is ours but whose process started at another time (a restarted container, PID 1)', async () => {
    await writeLock({ pid: process.pid, host: self.host, bootId: self.bootId, startTime: self.startTime! - 1000 });
    expect(await readDlqLock(dir)).toBeNull();
    const dlq = await DeadLetterQueue.open(dir);
    expect(JSON.parse(await readFile(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid, startTime: self.startTime });
    await dlq.close();
  });

  it('takes over a lock of this host taken before a reboot (another boot id), even with a live pid', async () => {
    await writeLock({ pid: process.pid, host: self.host, bootId: '00000000-0000-0000-0000-000000000000', startTime: self.startTime });
    const dlq = await DeadLetterQueue.open(dir);
    expect(JSON.parse(await readFile(lockPath(), 'utf8')).bootId).toBe(self.bootId);
    await dlq.close();
  });

  it('respects a live lock of this process, and a lock of another host while its heartbeat is fresh', async () => {
    const dlq = await DeadLetterQueue.open(dir);
    await expect(DeadLetterQueue.open(dir)).rejects.toMatchObject({ code: 'DLQ_IO', message: expect.stringContaining(`pid ${process.pid}`) });
    await dlq.close();
    await writeLock({ pid: 1, host: 'other-host', bootId: 'b', startTime: 5 });
    const t = Date.now();
    await expect(acquireDlqLock(dir, { now: () => t + 10_000 })).rejects.toMatchObject({ message: expect.stringContaining('other-host') });
    expect(await readDlqLock(dir, { now: () => t + 10_000 })).toMatchObject({ host: 'other-host' });
    // its heartbeat stops: stale after staleAfterMs (default 30 s)
    await utimes(lockPath(), new Date(t - 1000), new Date(t - 1000));
    expect(await readDlqLock(dir, { now: () => t + 31_000 })).toBeNull();
    const release = await acquireDlqLock(dir, { now: () => t + 31_000 });
    expect(JSON.parse(await readFile(lockPath(), 'utf8')).host).toBe(self.host);
    await release();
  });

  it('keeps the heartbeat going while held', async () => {
    const release = await acquireDlqLock(dir, { heartbeatMs: 20 });
    const past = new Date(Date.now() - 3_600_000);
    await utimes(lockPath(), past, past);
    const { stat } = await import('node:fs/promises');
    await expect.poll(async () => (await stat(lockPath())).mtimeMs, { timeout: 5_000 }).toBeGreaterThan(past.getTime() + 1000);
    await release();
  });

  it('lets exactly one of several contenders take over a stale lock', async () => {
    for (let round = 0; round < 25; round++) {
      await writeLock({ pid: 2 ** 22 + 12345, host: self.host, bootId: self.bootId, startTime: 1, token: `stale-${round}` });
      const results = await Promise.allSettled([0, 1, 2].map(() => acquireDlqLock(dir)));
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners, `round ${round}`).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'DLQ_IO' });
      await (winners[0] as PromiseFulfilledResult<() => Promise<void>>).value();
      expect((await readdir(dir)).filter((f) => f.startsWith('dlq.lock'))).toEqual([]); // no side files or markers left
    }
  });
});
