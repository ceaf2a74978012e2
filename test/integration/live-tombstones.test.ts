/**
 * What the live side leaves in Neo4j for the backfill and the validator: `_live_written_at` on every
 * node the dual writer wrote (the version's write time, set in the same write), and a tombstone for
 * every memory deleted in Neo4j (Engram cannot delete). A delete supersedes the key's queued writes, so
 * a replay after an Engram outage does not resurrect an update of a deleted memory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../src/live/dlq/dead-letter-queue.js';
import { DlqReplayer } from '../../src/live/dlq/dlq-replayer.js';
import { DualWriteCoordinator } from '../../src/live/dual-write/dual-write-coordinator.js';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import type { LiveMemory } from '../../src/live/graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { testDriver } from '../helpers/neo4j.js';
import { vector } from '../unit/live/memory-graph-database.js';

const LABEL = 'LiveTombMemory';
const SPACE = 'live_tombs';
let driver: Driver;
let neo: Neo4jGraphDatabase;
let double: EngramDouble;
let engram: EngramGraphDatabase;
let dir: string;

const mem = (id: string, seed: number, content: string): LiveMemory => ({
  id,
  space: SPACE,
  content,
  embedding: vector(seed),
  timestamp: new Date(1_700_000_000_000 + seed).toISOString(),
});

async function cleanup(): Promise<void> {
  const session = driver.session();
  try {
    await session.run(`MATCH (n) WHERE n:${LABEL} OR n:${LABEL}Tombstone DETACH DELETE n`);
  } finally {
    await session.close();
  }
}

beforeAll(async () => {
  driver = testDriver();
  await cleanup();
  neo = new Neo4jGraphDatabase({ driver, label: LABEL });
  await neo.ensureSchema({ vectorIndex: false });
  double = await startEngramDouble();
  engram = new EngramGraphDatabase({ client: { url: double.url, maxRetries: 0 } });
  dir = await mkdtemp(join(tmpdir(), 'live-tombs-'));
});

afterAll(async () => {
  await engram?.close();
  await double?.stop();
  await cleanup();
  await driver?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('live writes leave what the backfill and the validator need', () => {
  it('stamps each version with its write time, and tombstones a delete that also supersedes the queued update', async () => {
    let wall = 1_800_000_000_000;
    const dlq = await DeadLetterQueue.open(dir);
    const dual = new DualWriteCoordinator({ primary: neo, secondary: engram, dlq, breaker: false, wallClock: () => wall });
    await dual.createMemory(mem('a', 1, 'a1'));
    wall += 1000;
    await dual.createMemory(mem('b', 2, 'b1'));
    await dual.settle();
    const session = driver.session();
    const stamps = await session.run(`MATCH (n:${LABEL}) RETURN n.id AS id, n._live_written_at AS at ORDER BY id`);
    expect(stamps.records.map((r) => [r.get('id'), Number(r.get('at'))])).toEqual([
      ['a', 1_800_000_000_000],
      ['b', 1_800_000_001_000],
    ]);

    double.setFaults({ errorRates: { 503: 1 } }); // Engram down: the update of a waits in the queue
    wall += 1000;
    await dual.createMemory(mem('a', 3, 'a2'));
    await dual.settle();
    expect(dlq.stats()).toMatchObject({ queued: 1 });
    await dual.deleteMemory(SPACE, 'a');
    expect(dlq.stats()).toMatchObject({ entries: 0, superseded: 1 });
    double.setFaults({});
    expect(await new DlqReplayer({ dlq, secondary: engram, primary: neo }).drain(10_000)).toBe(0);

    expect(await neo.getMemory(SPACE, 'a')).toBeNull();
    expect(await neo.listTombstones(SPACE)).toEqual([{ space: SPACE, id: 'a', deletedAt: expect.any(String) }]);
    expect(double.store.get(SPACE, 'a')?.content).toBe('a1'); // Engram cannot delete: the tombstone says so
    expect(dual.stats.deletes).toBe(1);

    await dual.createMemory(mem('a', 4, 'a3')); // written again: no longer deleted
    await dual.settle();
    expect(await neo.listTombstones(SPACE)).toEqual([]);
    expect(double.store.get(SPACE, 'a')?.content).toBe('a3');
    await session.close();
    await dlq.close();
  });
});
