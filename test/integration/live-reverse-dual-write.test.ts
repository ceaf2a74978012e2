/**
 * Phase 5's reverse dual write against the real Neo4j and the Engram double: after `promote` the router
 * writes through Engram first and keeps Neo4j current; a Neo4j outage (a TCP proxy cut) queues the
 * writes for Neo4j and the replayer sends them once it is back; `demote` returns reads and writes to
 * Neo4j with every record at its latest version.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { demoteCutover, promoteCutover } from '../../src/live/cutover/cutover-phase.js';
import { CutoverRouter } from '../../src/live/cutover/cutover-router.js';
import { setCutoverPercent } from '../../src/live/cutover/cutover-schedule.js';
import { Neo4jCutoverStore } from '../../src/live/cutover/neo4j-cutover-store.js';
import { DeadLetterQueue } from '../../src/live/dlq/dead-letter-queue.js';
import { DlqReplayer } from '../../src/live/dlq/dlq-replayer.js';
import { DualWriteCoordinator } from '../../src/live/dual-write/dual-write-coordinator.js';
import type { LiveMemory } from '../../src/live/graph-database.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { vector } from '../unit/live/memory-graph-database.js';

const LABEL = 'LiveReverseMemory';
const SPACE = 'live_reverse';
const NAME = `reverse-${process.pid}`;
let driver: Driver;
let proxyDriver: Driver;
let proxy: TcpProxy;
let double: EngramDouble;
let dir: string;

async function cleanup(): Promise<void> {
  const session = driver.session();
  try {
    await session.run(`MATCH (n) WHERE n:${LABEL} OR n:${LABEL}Tombstone OR (n:EngramMigrateCutover AND n.name = $name) DETACH DELETE n`, { name: NAME });
  } finally {
    await session.close();
  }
}

const mem = (id: string, version: number): LiveMemory => ({
  id,
  space: SPACE,
  content: `${id} version ${version}`,
  embedding: vector(id.charCodeAt(0) * 100 + Number(id.slice(1)) * 7 + version),
  timestamp: new Date(1_700_000_000_000 + version).toISOString(),
});

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  driver = testDriver();
  await cleanup();
  double = await startEngramDouble();
  dir = await mkdtemp(join(tmpdir(), 'live-reverse-'));
  const target = new URL(testNeo4jUri().replace(/^bolt/, 'http'));
  proxy = new TcpProxy(target.hostname, Number(target.port));
  await proxy.up();
  // the reverse writer's Neo4j goes through the proxy; short retry times so an outage fails fast into the queue
  proxyDriver = neo4j.driver(`bolt://127.0.0.1:${proxy.port}`, undefined, {
    maxTransactionRetryTime: 500,
    connectionAcquisitionTimeout: 2_000,
    connectionTimeout: 1_000,
  });
});

afterAll(async () => {
  await proxyDriver?.close();
  await proxy?.down();
  await double?.stop();
  await cleanup();
  await driver?.close();
  await rm(dir, { recursive: true, force: true });
});

it('promoted: writes land in both; a Neo4j outage queues and replays; demote returns to Neo4j with every record', async () => {
  const neo = new Neo4jGraphDatabase({ driver, label: LABEL });
  await neo.ensureSchema({ vectorIndex: false });
  const neoBehindProxy = new Neo4jGraphDatabase({ driver: proxyDriver, label: LABEL, name: 'neo4j-via-proxy' });
  const engram = new EngramGraphDatabase({ client: { url: double.url, maxRetries: 0, timeoutMs: 5_000 } });
  const forwardDlq = await DeadLetterQueue.open(join(dir, 'dlq'));
  const reverseDlq = await DeadLetterQueue.open(join(dir, 'dlq-reverse'));
  const forward = new DualWriteCoordinator({ primary: neo, secondary: engram, dlq: forwardDlq });
  const reverse = new DualWriteCoordinator({ primary: engram, secondary: neoBehindProxy, dlq: reverseDlq, secondaryTimeoutMs: 3_000 });
  const store = new Neo4jCutoverStore({ driver, name: NAME });
  await setCutoverPercent(store, 100);
  const router = new CutoverRouter({ oldStore: neo, newStore: engram, writes: forward, reverseWrites: reverse, store, pollMs: 50 });
  await router.start();
  const latest = new Map<string, LiveMemory>();
  const write = async (m: LiveMemory): Promise<void> => {
    await router.createMemory(m);
    latest.set(m.id, m);
  };
  try {
    await write(mem('a0', 1)); // before the promote: Neo4j first
    await forward.settle();

    await promoteCutover(store);
    await until('the router to see the promote', () => router.phase === 'promoted');
    for (let i = 0; i < 5; i++) await write(mem(`p${i}`, 1));
    await reverse.settle();
    for (let i = 0; i < 5; i++) {
      expect((await neo.getMemory(SPACE, `p${i}`))?.content).toBe(`p${i} version 1`);
      expect((await engram.getMemory(SPACE, `p${i}`))?.content).toBe(`p${i} version 1`);
    }
    expect(reverseDlq.stats().depth).toBe(0);

    await proxy.down(); // Neo4j unreachable for the reverse writer; Engram, the primary, keeps taking writes
    for (let i = 0; i < 5; i++) await write(mem(`q${i}`, 1));
    await write(mem('p0', 2));
    await write(mem('q1', 2));
    await reverse.settle();
    expect(reverseDlq.stats().depth).toBeGreaterThanOrEqual(6);
    expect(await neo.getMemory(SPACE, 'q0')).toBeNull();
    expect((await neo.getMemory(SPACE, 'p0'))?.content).toBe('p0 version 1');

    await proxy.up();
    const replayer = new DlqReplayer({ dlq: reverseDlq, secondary: neoBehindProxy, primary: engram, intervalMs: 200 });
    expect(await replayer.drain(60_000)).toBe(0);
    expect(reverseDlq.stats().parked).toBe(0);

    await demoteCutover(store, { reason: 'test rollback' });
    await until('the router to see the demote', () => router.phase === 'cutover' && router.percent === 0);
    expect(router.route('any')).toBe('old');
    expect(latest.size).toBe(11);
    for (const m of latest.values()) {
      const stored = await router.getMemory(SPACE, m.id); // routed to Neo4j now
      expect(stored?.content, m.id).toBe(m.content);
      expect(Date.parse(stored!.timestamp!), m.id).toBe(Date.parse(m.timestamp!));
    }
    await write(mem('d0', 1)); // Neo4j is the primary again: it holds the write when createMemory returns
    expect((await neo.getMemory(SPACE, 'd0'))?.content).toBe('d0 version 1');
    await forward.settle();
    expect((await engram.getMemory(SPACE, 'd0'))?.content).toBe('d0 version 1');
  } finally {
    await router.close();
    await reverse.close();
    await forward.close();
    await reverseDlq.close();
    await forwardDlq.close();
    await engram.close();
  }
}, 120_000);
