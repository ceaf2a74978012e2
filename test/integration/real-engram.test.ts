/**
 * The migration against the REAL Engram server (one per file, see test/helpers/real-engram.ts): a
 * backfill from the test Neo4j validated by read-back, a bundle loaded (with an interrupted first
 * run and a resume), and the live library's dual write (with updates) and shadow reads. Everything goes
 * to the `default` space, which the server creates at start (every further space costs seconds and
 * ~3 GB of mapped pages); each scenario uses its own labels, so ids never meet.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { loadBundle } from '../../src/engine/load-bundle.js';
import { DeadLetterQueue } from '../../src/live/dlq/dead-letter-queue.js';
import { DualWriteCoordinator } from '../../src/live/dual-write/dual-write-coordinator.js';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import type { LiveMemory } from '../../src/live/graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { ShadowReadCoordinator } from '../../src/live/shadow/shadow-read-coordinator.js';
import { EngramClient } from '../../src/target/engram-client.js';
import { validate } from '../../src/validate/validate.js';
import { driverFor, loadFixtureGraph, testConfig } from '../helpers/backfill-fixture.js';
import { describeRealEngram, startRealEngram, type RealEngram } from '../helpers/real-engram.js';

const SPACE = 'default';
const NODES = 160;
const LIVE_LABEL = 'RealEngramLive';
// Every label into the one space; generated embeddings from id and name, so people sharing a name stay apart.
const mapping = {
  spaces: { Person: SPACE, Document: SPACE, Topic: SPACE, Organization: SPACE },
  defaultSpace: SPACE,
  textProperties: { Person: ['id', 'name'], Organization: ['id', 'name'], Topic: ['id', 'name'] },
};

let driver: Driver;
let engram: RealEngram;
let client: EngramClient;

/** Seeded normal deviates (Box-Muller on a small LCG). */
function normals(seed: number, n: number): Float32Array {
  let s = seed >>> 0 || 1;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
const centre = (c: number): Float32Array => normals(4000 + c, 768);
/** Members at cosine ≈ 0.8 to their centre (≈ 0.64 to each other: no dedup). */
const member = (c: number, j: number): LiveMemory => ({
  id: `rel-${c}-${j}`,
  space: SPACE,
  content: `cluster ${c} member ${j}`,
  embedding: centre(c).map((x, i) => x + 0.75 * normals(90_000 + c * 100 + j, 768)[i]!),
});

async function dropLive(): Promise<void> {
  const session = driver.session();
  try {
    await session.run(`MATCH (n:${LIVE_LABEL}) DETACH DELETE n`);
    await session.run(`DROP INDEX ${LIVE_LABEL}_embedding IF EXISTS`);
    await session.run(`DROP CONSTRAINT ${LIVE_LABEL}_id_unique IF EXISTS`);
  } finally {
    await session.close();
  }
}

describeRealEngram('the migration against the real Engram server', () => {
  beforeAll(async () => {
    driver = driverFor();
    const t0 = performance.now();
    [engram] = await Promise.all([startRealEngram(), loadFixtureGraph(driver, NODES, 41, false)]);
    console.log(`[real-engram] server and graph ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    client = new EngramClient({ url: engram.url, maxRetries: 2 });
  });

  afterAll(async () => {
    await client?.close();
    await engram?.stop();
    if (driver) await dropLive();
    await driver?.close();
  });

  it('backfills people and documents from Neo4j, and validation reads every one back clean', async () => {
    const config = testConfig({ mapping, source: { labels: ['Person', 'Document'] }, target: { kind: 'engram', url: engram.url, concurrency: 8 } });
    const summary = await backfill({ config });
    expect(summary.error).toBeNull();
    expect(summary.status).toBe('completed');
    const written = summary.counters.memoriesWritten;
    expect(written).toBe(summary.counters.nodesRead);
    expect(await client.spaceCount(SPACE)).toBe(written);
    const report = await validate({ config, sampleSize: 100_000 });
    expect(report.faults).toEqual([]);
    expect(report.counters.present).toBe(written);
    expect(report.counters.embeddingChecked).toBe(written);
    expect(report.spaces.find((s) => s.space === SPACE)).toMatchObject({ target: written, difference: 0 });
    expect(Object.fromEntries(report.checks.map((c) => [c.name, c.status]))).toMatchObject({
      missing: 'pass',
      embedding: 'pass',
      content: 'pass',
      edges: 'not-verifiable',
    });
  });

  it('loads a bundle of topics and organizations, resuming after an interrupted first run', async () => {
    const bundleConfig = testConfig({ mapping, source: { labels: ['Topic', 'Organization'] }, engine: { batchSize: 5 } });
    const built = await backfill({ config: bundleConfig });
    expect(built.status).toBe('completed');
    const total = built.counters.memoriesWritten;
    const before = await client.spaceCount(SPACE);
    const config = testConfig({ mapping, target: { kind: 'engram', url: engram.url }, engine: { batchSize: 5 } });
    const stop = new AbortController();
    const first = await loadBundle({ bundleDir: bundleConfig.target.path, config, signal: stop.signal, onProgress: () => stop.abort() });
    expect(total).toBeGreaterThan(5);
    expect(first).toMatchObject({ status: 'aborted', error: null });
    // The abort comes after the first batch is recorded; the next one is already in flight then (load keeps
    // one batch in flight while it records the last) and is recorded too when it was acknowledged.
    expect([5, 10]).toContain(first.loaded);
    const second = await loadBundle({ bundleDir: bundleConfig.target.path, config, resume: true });
    expect(second).toMatchObject({ status: 'completed', error: null, loaded: total });
    expect((await client.spaceCount(SPACE)) - before).toBe(total);
    const report = await validate({ config: { ...bundleConfig, target: config.target, runDir: config.runDir }, sampleSize: 100_000, rejectsPath: null });
    expect(report.counters.present).toBe(total);
    expect(report.faults).toEqual([]);
  });

  it('dual writes into Neo4j and Engram; shadow reads agree; a far update lands in Engram, a small edit lands or is queued with its reason', async () => {
    await dropLive();
    const neo = new Neo4jGraphDatabase({ driver, label: LIVE_LABEL, activation: 'exact' });
    await neo.ensureSchema();
    const store = new EngramGraphDatabase({ client: { url: engram.url, maxRetries: 2 } });
    const dir = await mkdtemp(join(tmpdir(), 'real-engram-live-'));
    const dlq = await DeadLetterQueue.open(join(dir, 'dlq'));
    const writes = new DualWriteCoordinator({ primary: neo, secondary: store, dlq });
    try {
      for (let c = 0; c < 4; c++) for (let j = 0; j < 8; j++) await writes.createMemory(member(c, j));
      await writes.settle();
      expect(writes.stats.secondaryOk).toBe(32);

      // Updates: the adapter's confidence ladder makes both a far move and a small edit land (the server
      // drops a small edit at the same confidence), and reads each back.
      const far = { ...member(0, 0), content: 'moved far', embedding: normals(777, 768) };
      const near = { ...member(1, 0), content: 'edited a little', embedding: member(1, 0).embedding.map((x, i) => x + 0.05 * normals(778, 768)[i]!) };
      await writes.createMemory(far);
      await writes.createMemory(near);
      await writes.settle();
      expect((await neo.getMemory(SPACE, far.id))?.content).toBe('moved far');
      expect((await store.getMemory(SPACE, far.id))?.content).toBe('moved far');
      expect((await neo.getMemory(SPACE, near.id))?.content).toBe('edited a little');
      // Measured here: the small edit at the ladder's 0.9 → 0.90001 is sometimes still dropped by the server
      // (its similarity cache remembers the id's first comparison). Never silently: it is then queued with
      // the reason, for the replayer to try again, and nothing else failed.
      const landed = (await store.getMemory(SPACE, near.id))?.content === 'edited a little';
      const queued = dlq.list().filter((e) => e.key === near.id && /did not land/.test(e.lastError ?? ''));
      expect(landed || queued.length === 1, JSON.stringify(dlq.list())).toBe(true);
      expect(writes.stats.secondaryFailed).toBe(landed ? 0 : 1);

      const log = join(dir, 'discrepancies.ndjson');
      const shadow = new ShadowReadCoordinator({ primary: writes, secondary: store, sampleRate: 1, discrepancyLog: log });
      for (let q = 0; q < 8; q++) {
        const embedding = centre(q % 4).map((x, i) => x + 0.5 * normals(30_000 + q, 768)[i]!);
        const served = await shadow.activate({ space: SPACE, k: 5, embedding });
        expect(served.hits).toHaveLength(5);
      }
      await shadow.close();
      const report = shadow.report();
      expect(report.comparisons).toBe(8);
      expect(report.errors).toBe(0);
      expect(report.rolling.overlap).toBeGreaterThanOrEqual(0.9);
      const lines = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      expect(lines.length).toBe(report.discrepancies);
    } finally {
      await dlq.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
