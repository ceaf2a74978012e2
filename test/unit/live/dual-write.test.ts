import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../src/live/dlq/dead-letter-queue.js';
import { DlqReplayer } from '../../../src/live/dlq/dlq-replayer.js';
import { DualWriteCoordinator } from '../../../src/live/dual-write/dual-write-coordinator.js';
import { LiveMetrics } from '../../../src/live/live-metrics.js';
import { TargetError } from '../../../src/errors.js';
import { MemoryGraphDatabase, memory } from './memory-graph-database.js';

let dir: string;
let dlq: DeadLetterQueue;
let primary: MemoryGraphDatabase;
let secondary: MemoryGraphDatabase;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dual-'));
  dlq = await DeadLetterQueue.open(dir, { retryBaseMs: 1, retryMaxMs: 2 });
  primary = new MemoryGraphDatabase('neo4j');
  secondary = new MemoryGraphDatabase('engram', { edges: false });
});
afterEach(async () => {
  await dlq.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('DualWriteCoordinator', () => {
  it('writes both stores; a primary failure fails the write and leaves nothing for the secondary', async () => {
    const dual = new DualWriteCoordinator({ primary, secondary, dlq });
    await dual.createMemory(memory(1));
    primary.faults = { rejectIds: new Set(['m2']) };
    await expect(dual.createMemory(memory(2))).rejects.toMatchObject({ code: 'TARGET_REJECTED' });
    await dual.settle();
    expect([...primary.memories.keys()]).toEqual(['m1']);
    expect([...secondary.memories.keys()]).toEqual(['m1']);
    expect(dlq.stats().entries).toBe(0);
    expect(dual.stats).toMatchObject({ primaryOk: 1, primaryFailed: 1, secondaryOk: 1, secondaryFailed: 0 });
  });

  it('returns after the primary while the secondary is down, and the replayer drains the queue exactly once per write', async () => {
    const metrics = new LiveMetrics();
    metrics.watchDlq(() => dlq.stats());
    const dual = new DualWriteCoordinator({ primary, secondary, dlq, metrics });
    secondary.faults = { down: true, latencyMs: 20 };
    for (let i = 0; i < 50; i++) await dual.createMemory(memory(i));
    await dual.settle();
    expect(primary.memories.size).toBe(50);
    expect(secondary.memories.size).toBe(0);
    expect(dlq.stats()).toMatchObject({ queued: 50, depth: 50 });
    expect(await metrics.text()).toMatch(/engram_migrate_live_dlq_depth 50/);

    const replayer = new DlqReplayer({ dlq, secondary, primary, concurrency: 8 });
    const probe = await replayer.runRound({ all: true });
    expect(probe).toMatchObject({ replayed: 0, retry: 8, stoppedEarly: true }); // one batch of probes, not 50 attempts
    secondary.faults = {};
    expect(await replayer.drain(10_000)).toBe(0);
    expect(secondary.memories.size).toBe(50);
    expect(Math.max(...secondary.writeCount.values())).toBe(1);
    expect(await metrics.text()).toMatch(/engram_migrate_live_dlq_depth 0/);
  });

  it('does not wait for a slow secondary: beyond maxSecondaryInFlight, writes go to the queue', async () => {
    secondary.faults = { latencyMs: 300 };
    const dual = new DualWriteCoordinator({ primary, secondary, dlq, maxSecondaryInFlight: 4 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 20 }, (_, i) => dual.createMemory(memory(i))));
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(250);
    expect(dual.stats).toMatchObject({ secondaryInFlight: 4, secondarySkipped: 16 });
    await dual.settle();
    expect(dlq.stats().queued).toBe(16);
    secondary.faults = {};
    await new DlqReplayer({ dlq, secondary }).drain(5_000);
    expect(secondary.memories.size).toBe(20);
  });

  it('counts a timed-out secondary write as failed (retriable) and keeps it queued', async () => {
    const hung = new MemoryGraphDatabase('hung');
    hung.createMemory = (_m: unknown, signal?: AbortSignal): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, 2_000);
        signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)));
      });
    const dual = new DualWriteCoordinator({ primary, secondary: hung, dlq, secondaryTimeoutMs: 50 });
    await dual.createMemory(memory(1));
    await dual.settle();
    expect(dlq.list()[0]).toMatchObject({ key: 'm1', attempts: 1, lastError: expect.stringContaining('timed out after 50 ms') });
    expect(dlq.list('parked')).toHaveLength(0);
  });

  it('parks a poison write with its reason while the others drain', async () => {
    const dual = new DualWriteCoordinator({ primary, secondary, dlq });
    secondary.faults = { rejectIds: new Set(['m3']) };
    for (let i = 0; i < 5; i++) await dual.createMemory(memory(i));
    await dual.settle();
    expect(secondary.memories.size).toBe(4);
    expect(dlq.list('parked')).toMatchObject([{ key: 'm3', reason: expect.stringContaining('not retriable') }]);
  });

  it('edges: stored in the primary, counted as unsupported by Engram, nothing queued', async () => {
    const dual = new DualWriteCoordinator({ primary, secondary, dlq });
    await dual.createMemory(memory(1));
    await dual.createMemory(memory(2));
    expect(await dual.createEdge({ source: 'm1', target: 'm2', type: 'READ', weight: 0.5 })).toEqual({ stored: true });
    await dual.settle();
    expect(primary.edges.size).toBe(1);
    expect(dual.stats.secondaryUnsupported).toBe(1);
    expect(dlq.stats().entries).toBe(0);
  });

  it('settles in-doubt writes against the primary after a crash: kept when the primary has them, dropped otherwise', async () => {
    await dlq.recordIntent({ kind: 'memory', memory: memory(1) }); // primary committed, then the process died
    await dlq.recordIntent({ kind: 'memory', memory: memory(2) }); // died before the primary committed
    await primary.createMemory(memory(1));
    await dlq.close();
    dlq = await DeadLetterQueue.open(dir, { strayWriteMs: 0 }); // nothing was sent to the secondary before the crash
    const round = await new DlqReplayer({ dlq, secondary, primary }).runRound({ all: true });
    expect(round).toMatchObject({ inDoubtKept: 1, inDoubtDropped: 1, replayed: 1 });
    expect([...secondary.memories.keys()]).toEqual(['m1']);
    expect(dlq.stats().entries).toBe(0);
  });
});

describe('DualWriteCoordinator defaults and systemic errors', () => {
  it('fixes the timestamp before logging, so a replay writes the time the primary got', async () => {
    const dual = new DualWriteCoordinator({ primary, secondary, dlq });
    secondary.faults = { down: true };
    const { timestamp: _omit, ...undated } = memory(1);
    await dual.createMemory(undated);
    await dual.settle();
    secondary.faults = {};
    await new Promise((r) => setTimeout(r, 5));
    await new DlqReplayer({ dlq, secondary }).drain(5_000);
    expect(primary.memories.get('m1')!.timestamp).toMatch(/^\d{4}-/);
    expect(secondary.memories.get('m1')!.timestamp).toBe(primary.memories.get('m1')!.timestamp);
  });

  it('does not park the queue when the secondary refuses the credentials', async () => {
    const dual = new DualWriteCoordinator({ primary, secondary, dlq });
    secondary.createMemory = async () => {
      throw new TargetError('TARGET_AUTH', 'Engram answered 401 UNAUTHORIZED', { status: 401 });
    };
    for (let i = 0; i < 3; i++) await dual.createMemory(memory(i));
    await dual.settle();
    expect(dlq.stats()).toMatchObject({ queued: 3, parked: 0 });
  });

  it('opens the breaker after 5 consecutive failures: the rest of an outage goes to the queue untried', async () => {
    const dual = new DualWriteCoordinator({ primary, secondary, dlq, now: () => 0 });
    secondary.faults = { down: true };
    for (let i = 0; i < 50; i++) await dual.createMemory(memory(i));
    await dual.settle();
    expect(secondary.calls.filter((c) => c.method === 'createMemory')).toHaveLength(5);
    expect(dual.stats).toMatchObject({ primaryOk: 50, secondaryFailed: 5, secondaryShed: 45, breaker: 'open', breakerOpened: 1 });
    expect(dlq.stats()).toMatchObject({ queued: 50, depth: 50 });
    secondary.faults = {};
    expect(await new DlqReplayer({ dlq, secondary }).drain(5_000)).toBe(0);
    expect(secondary.memories.size).toBe(50);
  });

  it('probes after the open period: a failed probe doubles it (up to the cap), a good one closes the breaker', async () => {
    let now = 0;
    const dual = new DualWriteCoordinator({ primary, secondary, dlq, now: () => now, breaker: { failures: 3, openMs: 1_000, maxOpenMs: 1_500 } });
    const attempts = (): number => secondary.calls.filter((c) => c.method === 'createMemory').length;
    const write = async (i: number): Promise<void> => {
      await dual.createMemory(memory(i));
      await dual.settle();
    };
    secondary.faults = { down: true };
    for (let i = 0; i < 3; i++) await write(i);
    expect(dual.stats.breaker).toBe('open');
    now = 999;
    await write(3);
    expect(attempts()).toBe(3); // shed
    now = 1_000;
    await write(4); // the probe, fails: open for 2,000 ms, capped at 1,500
    expect([attempts(), dual.stats.breaker, dual.stats.breakerOpened]).toEqual([4, 'open', 2]);
    now = 2_499;
    await write(5);
    expect(attempts()).toBe(4);
    secondary.faults = {};
    now = 2_500;
    await write(6); // the probe succeeds
    expect(dual.stats.breaker).toBe('closed');
    for (let i = 7; i < 10; i++) await write(i);
    expect(attempts()).toBe(8);
    expect([...secondary.memories.keys()]).toEqual(['m6', 'm7', 'm8', 'm9']);
    expect(dlq.stats().queued).toBe(6);
  });

  it('sheds writes while a probe is in flight, and writes the secondary refuses do not open the breaker', async () => {
    let now = 0;
    const dual = new DualWriteCoordinator({ primary, secondary, dlq, now: () => now, breaker: { failures: 2, openMs: 10 } });
    secondary.faults = { rejectIds: new Set(['m0', 'm1', 'm2', 'm3']) };
    for (let i = 0; i < 4; i++) await dual.createMemory(memory(i));
    await dual.settle();
    expect(dual.stats).toMatchObject({ breaker: 'closed', secondaryFailed: 4, secondaryShed: 0 });
    secondary.faults = { down: true };
    await dual.createMemory(memory(4));
    await dual.createMemory(memory(5));
    await dual.settle();
    expect(dual.stats.breaker).toBe('open');
    now = 10;
    secondary.faults = { latencyMs: 50 };
    await Promise.all([6, 7, 8].map((i) => dual.createMemory(memory(i)))); // 6 is the probe, 7 and 8 wait for its answer in the queue
    expect(dual.stats).toMatchObject({ breaker: 'half-open', secondaryShed: 2 });
    await dual.settle();
    expect(dual.stats.breaker).toBe('closed');
    expect(secondary.memories.size).toBe(1); // the probe's write
  });

  it('breaker: false tries every write', async () => {
    const dual = new DualWriteCoordinator({ primary, secondary, dlq, breaker: false });
    secondary.faults = { down: true };
    for (let i = 0; i < 20; i++) await dual.createMemory(memory(i));
    await dual.settle();
    expect(dual.stats).toMatchObject({ secondaryFailed: 20, secondaryShed: 0, breaker: 'closed' });
  });

  it('replays no faster than ratePerSecond', async () => {
    const dual = new DualWriteCoordinator({ primary, secondary, dlq, breaker: false });
    secondary.faults = { down: true };
    for (let i = 0; i < 60; i++) await dual.createMemory(memory(i));
    await dual.settle();
    secondary.faults = {};
    const replayer = new DlqReplayer({ dlq, secondary, concurrency: 10, ratePerSecond: 100 });
    const t0 = performance.now();
    expect(await replayer.drain(10_000)).toBe(0);
    // a bucket of 20 tokens refilled by 20 every 200 ms: 60 replays need two refills
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    expect(secondary.memories.size).toBe(60);
    await replayer.stop();
  });
});
