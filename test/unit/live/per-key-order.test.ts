/**
 * Per-key order in the dual writer and its dead-letter queue: whatever the interleaving of live writes,
 * outages, retries with backoff and crashes, the secondary ends with the primary's latest version of
 * every key (read back and compared), and an in-doubt write is settled by the primary's version of
 * the record, not by its existence.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../src/live/dlq/dead-letter-queue.js';
import { DlqReplayer } from '../../../src/live/dlq/dlq-replayer.js';
import { DualWriteCoordinator } from '../../../src/live/dual-write/dual-write-coordinator.js';
import { EngramGraphDatabase } from '../../../src/live/adapters/engram-graph-database.js';
import type { LiveMemory } from '../../../src/live/graph-database.js';
import { startEngramDouble, type EngramDouble } from '../../helpers/engram-double/index.js';
import { MemoryGraphDatabase, vector } from './memory-graph-database.js';

const SPACE = 'order_test';
const KEYS = 24;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'order-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Version `v` of key `k`: a new embedding each time (far from the last, so Engram takes it as an update). */
const version = (k: number, v: number): LiveMemory => ({
  id: `k${k}`,
  space: SPACE,
  content: `key ${k} version ${v}`,
  embedding: vector(10_000 + k * 100 + v),
  timestamp: new Date(1_700_000_000_000 + v * 60_000 + k).toISOString(),
});

describe('per-key order', () => {
  let double: EngramDouble;
  let engram: EngramGraphDatabase;
  beforeEach(async () => {
    double = await startEngramDouble();
    engram = new EngramGraphDatabase({ client: { url: double.url, maxRetries: 0, timeoutMs: 5_000 } });
  });
  afterEach(async () => {
    await engram.close();
    await double.stop();
  });

  it('interleaved updates of the same keys through an outage end with Engram holding the primary’s latest version of every key', async () => {
    let clock = 1_000_000;
    const dlq = await DeadLetterQueue.open(dir, { now: () => clock, random: () => 0.5, retryBaseMs: 1_000, retryMaxMs: 600_000 });
    const primary = new MemoryGraphDatabase('neo4j');
    const dual = new DualWriteCoordinator({ primary, secondary: engram, dlq, breaker: false });
    const replayer = new DlqReplayer({ dlq, secondary: engram, primary, concurrency: 8 });
    const writeAll = async (keys: number[], v: number): Promise<void> => {
      for (const k of keys) await dual.createMemory(version(k, v));
      await dual.settle();
    };
    const all = Array.from({ length: KEYS }, (_, k) => k);

    await writeAll(all, 1); // Engram up: every v1 lands live
    double.setFaults({ errorRates: { 503: 1 } }); // outage
    await writeAll(all, 2);
    for (let i = 0; i < 4; i++) {
      clock += 700_000; // every queued write is due; each failed retry pushes v2 further out
      await replayer.runRound({ all: true });
    }
    await writeAll(
      all.filter((k) => k % 2 === 0),
      3,
    ); // v3 of the even keys: one failure, due soon
    double.setFaults({});
    await writeAll(
      all.filter((k) => k % 3 === 0),
      4,
    ); // Engram back: v4 of every third key lands live
    clock += 2_000; // v3 is due, v2 (backed off for minutes) is not
    await replayer.runRound();
    clock += 10_000_000;
    expect(await replayer.drain(30_000)).toBe(0);
    await dual.settle();

    for (const k of all) {
      const want = primary.memories.get(`k${k}`)!;
      const got = double.store.get(SPACE, `k${k}`);
      expect(got?.content, `k${k}`).toBe(want.content);
      expect(Array.from(got!.embedding!)).toEqual(Array.from(want.embedding));
    }
    const stats = dlq.stats();
    expect(stats).toMatchObject({ entries: 0, depth: 0, parked: 0 });
    expect(stats.superseded).toBe(KEYS / 2 + KEYS / 3 - KEYS / 6 + KEYS / 6); // v2 of the even keys and of every third, v3 of the sixth ones
    await dlq.close();
  });

  it('a write the client gave up on lands after the next version of its key; the recheck after the stray window writes the latest again', async () => {
    let clock = 1_000_000;
    const dlq = await DeadLetterQueue.open(dir, { now: () => clock, strayWriteMs: 30_000 });
    const primary = new MemoryGraphDatabase('neo4j');
    const dual = new DualWriteCoordinator({ primary, secondary: engram, dlq, breaker: false, secondaryTimeoutMs: 300 });
    const replayer = new DlqReplayer({ dlq, secondary: engram, primary });
    const held = (): string | undefined => double.store.get(SPACE, 'k1')?.content;

    // the server holds the POST for 3 s, whatever the client does (long enough for version 2 to be written
    // and read back first on a loaded machine)
    double.setFaults({ queueMs: 3_000, scope: 'writes' });
    await dual.createMemory(version(1, 1));
    await dual.settle();
    expect(dual.stats).toMatchObject({ secondaryOk: 0, secondaryFailed: 1 }); // the client gave up after 300 ms
    double.setFaults({});
    await dual.createMemory(version(1, 2));
    await dual.settle();
    expect(dual.stats.secondaryOk).toBe(1);
    expect(held()).toBe('key 1 version 2'); // written and read back
    for (let i = 0; i < 200 && held() !== 'key 1 version 1'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(held()).toBe('key 1 version 1'); // the abandoned write landed over it
    expect(dlq.stats()).toMatchObject({ entries: 1, rechecks: 1 });

    expect(await replayer.runRound({ all: true })).toMatchObject({ replayed: 0 }); // not due while stray writes may land
    clock += 30_000;
    expect(await replayer.runRound()).toMatchObject({ replayed: 1 });
    expect(held()).toBe('key 1 version 2');
    expect(Array.from(double.store.get(SPACE, 'k1')!.embedding!)).toEqual(Array.from(version(1, 2).embedding));
    expect(dlq.stats()).toMatchObject({ entries: 0, depth: 0 });
    await dlq.close();
  });
});

describe('in-doubt writes', () => {
  it('are settled by the primary’s version of the record: replayed when it holds that version, dropped when it holds another', async () => {
    const primary = new MemoryGraphDatabase('neo4j');
    const secondary = new MemoryGraphDatabase('engram', { edges: false });
    for (const k of [1, 2]) {
      await primary.createMemory(version(k, 1));
      await secondary.createMemory(version(k, 1));
    }
    const dlq = await DeadLetterQueue.open(dir);
    await dlq.recordIntent({ kind: 'memory', memory: version(1, 2) }); // crash before the primary write: Neo4j still has v1
    await dlq.recordIntent({ kind: 'memory', memory: version(2, 2) }); // crash after it: Neo4j has v2
    await primary.createMemory(version(2, 2));
    await dlq.close();

    const again = await DeadLetterQueue.open(dir);
    expect(again.stats()).toMatchObject({ inDoubt: 2 });
    const round = await new DlqReplayer({ dlq: again, secondary, primary }).runRound({ all: true });
    expect(round).toMatchObject({ inDoubtKept: 1, inDoubtDropped: 1, replayed: 1 });
    for (const k of [1, 2]) expect(secondary.memories.get(`k${k}`)?.content).toBe(primary.memories.get(`k${k}`)?.content);
    await again.close();
  });

  it('the dual writer defers a write of a key whose older write is still in flight, then sends it right after', async () => {
    const primary = new MemoryGraphDatabase('neo4j');
    const secondary = new MemoryGraphDatabase('engram', { edges: false });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const write = secondary.createMemory.bind(secondary);
    const order: string[] = [];
    secondary.createMemory = async (m) => {
      order.push(m.content);
      if (m.content.endsWith('version 1')) await gate; // v1 stays in flight until the test opens the gate
      return write(m);
    };
    const dlq = await DeadLetterQueue.open(dir);
    const dual = new DualWriteCoordinator({ primary, secondary, dlq });
    await dual.createMemory(version(1, 1));
    await dual.createMemory(version(1, 2));
    await dual.createMemory(version(1, 3));
    expect(dual.stats.secondaryDeferred).toBe(2);
    open();
    await dual.settle();
    expect(order).toEqual(['key 1 version 1', 'key 1 version 3']); // v2 never went: v3 reached the primary first
    expect(secondary.memories.get('k1')?.content).toBe('key 1 version 3');
    expect(dlq.stats()).toMatchObject({ entries: 0, superseded: 2 }); // v2 at once, v1 once its attempt ended
    await dlq.close();
  });
});
