/**
 * The live adapters against the real Neo4j (vector index on 5.26) and the Engram double: writes,
 * idempotent upserts, edges, activation (index, exact, spreading), and shadow reads reporting ≥ 0.95
 * overlap after a clean copy and flagging a planted divergence.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import type { LiveMemory } from '../../src/live/graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { overlapAtK } from '../../src/live/shadow/ranking-similarity.js';
import { ShadowReadCoordinator } from '../../src/live/shadow/shadow-read-coordinator.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';
import { enableBoltNoDelay } from '../../src/live/adapters/bolt-no-delay.js';

const LABEL = 'LiveAdapterMemory';
const SPACE = 'live_adapters';
const CLUSTERS = 20;
const PER_CLUSTER = 15;

let driver: Driver;
let neo: Neo4jGraphDatabase;
let engram: EngramGraphDatabase;
let double: EngramDouble;
let dir: string;

/** Seeded normal deviates (Box-Muller on a small LCG). */
function normals(seed: number, n: number): Float32Array {
  let s = seed >>> 0 || 1;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** Cluster centres and members at cosine ≈ 0.8 to their centre (≈ 0.64 to each other: no Engram dedup). */
const centre = (c: number): Float32Array => normals(1000 + c, 768);
function member(c: number, j: number): LiveMemory {
  const noise = normals(50_000 + c * 100 + j, 768);
  const e = centre(c).map((x, i) => x + 0.75 * noise[i]!);
  return { id: `la-${c}-${j}`, space: SPACE, content: `cluster ${c} member ${j}`, embedding: e, timestamp: new Date(1_700_000_000_000 + j).toISOString() };
}
const query = (c: number, seed: number) => ({ space: SPACE, k: 10, embedding: centre(c).map((x, i) => x + 0.5 * normals(seed, 768)[i]!) });

async function cleanup(): Promise<void> {
  const session = driver.session();
  try {
    await session.run(`MATCH (n:${LABEL}) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS`);
    await session.run(`DROP INDEX ${LABEL}_embedding IF EXISTS`);
    await session.run(`DROP CONSTRAINT ${LABEL}_id_unique IF EXISTS`);
  } finally {
    await session.close();
  }
}

beforeAll(async () => {
  enableBoltNoDelay(testNeo4jUri());
  driver = testDriver();
  await cleanup();
  neo = new Neo4jGraphDatabase({ driver, label: LABEL });
  await neo.ensureSchema();
  double = await startEngramDouble();
  engram = new EngramGraphDatabase({ client: { url: double.url, maxRetries: 2 } });
  dir = await mkdtemp(join(tmpdir(), 'live-adapters-'));
  const all: LiveMemory[] = [];
  for (let c = 0; c < CLUSTERS; c++) for (let j = 0; j < PER_CLUSTER; j++) all.push(member(c, j));
  await Promise.all(all.map((m) => Promise.all([neo.createMemory(m), engram.createMemory(m)])));
});

afterAll(async () => {
  await engram?.close();
  await double?.stop();
  await cleanup();
  await driver?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Neo4j and Engram adapters', () => {
  it('store every memory once in both; upserts by id; Engram dedups nothing here', async () => {
    expect(await neo.countMemories(SPACE)).toBe(CLUSTERS * PER_CLUSTER);
    expect(double.store.count(SPACE)).toBe(CLUSTERS * PER_CLUSTER);
    const again = { ...member(3, 4), content: 'updated content' };
    await neo.createMemory(again);
    // The double keeps a same-embedding edit (a same-id no-op); the real server takes it at a higher
    // confidence. Either way the adapter reads back and reports what did not land instead of counting the 201.
    await expect(engram.createMemory(again)).rejects.toMatchObject({ code: 'TARGET_REJECTED', message: expect.stringContaining('did not land') });
    expect(await neo.countMemories(SPACE)).toBe(CLUSTERS * PER_CLUSTER);
    const fromNeo = await neo.getMemory(SPACE, 'la-3-4');
    expect(fromNeo).toMatchObject({ id: 'la-3-4', space: SPACE, content: 'updated content' });
    expect(Array.from(fromNeo!.embedding!)).toEqual(Array.from(member(3, 4).embedding));
    expect(await engram.getMemory(SPACE, 'la-0-0')).toMatchObject({ id: 'la-0-0', content: 'cluster 0 member 0', embedding: null });
    expect(await engram.getMemory(SPACE, 'absent')).toBeNull();
    expect(await neo.getMemory(SPACE, 'absent')).toBeNull();
    await neo.createMemory(member(3, 4));
  });

  it('activate: the vector index, the exact scan and Engram recall agree on the top 10', async () => {
    const exact = new Neo4jGraphDatabase({ driver, label: LABEL, activation: 'exact' });
    for (let c = 0; c < CLUSTERS; c += 4) {
      const q = query(c, 9000 + c);
      const [viaIndex, viaScan, viaEngram] = await Promise.all([neo.activate(q), exact.activate(q), engram.activate(q)]);
      expect(viaIndex.hits).toHaveLength(10);
      expect(viaIndex.hits.every((h) => h.id.startsWith(`la-${c}-`))).toBe(true);
      expect(
        overlapAtK(
          viaIndex.hits.map((h) => h.id),
          viaScan.hits.map((h) => h.id),
          10,
        ),
      ).toBeGreaterThanOrEqual(0.9);
      expect(viaScan.hits.map((h) => h.id)).toEqual(viaEngram.hits.map((h) => h.id));
      viaScan.hits.forEach((h, i) => expect(h.score).toBeCloseTo(viaEngram.hits[i]!.score, 4)); // both cosine
    }
  });

  it('edges: Neo4j stores them (MERGE, idempotent) and spreads over them; Engram answers unsupported', async () => {
    const edge = { source: 'la-0-0', target: 'la-19-0', type: 'SIMILAR_TO', weight: 0.9 };
    expect(await neo.createEdge(edge)).toEqual({ stored: true });
    expect(await neo.createEdge(edge)).toEqual({ stored: true });
    expect(await engram.createEdge(edge)).toMatchObject({ stored: false, reason: expect.stringContaining('no edge API') });
    const session = driver.session();
    const count = await session.run(`MATCH (:${LABEL} {id: 'la-0-0'})-[r:SIMILAR_TO]->(:${LABEL} {id: 'la-19-0'}) RETURN count(r) AS c, r.weight AS w`);
    await session.close();
    expect(count.records[0]?.get('c').toNumber()).toBe(1);
    await expect(neo.createEdge({ ...edge, target: 'nowhere' })).rejects.toMatchObject({ code: 'SOURCE_QUERY_FAILED', retriable: true });
    const spreading = new Neo4jGraphDatabase({ driver, label: LABEL, spreading: { hops: 1, decay: 1 } });
    const q = { ...query(0, 777), embedding: member(0, 0).embedding, k: 3 };
    const plain = (await neo.activate(q)).hits.map((h) => h.id);
    const spread = (await spreading.activate(q)).hits.map((h) => h.id);
    expect(plain).not.toContain('la-19-0');
    expect(spread).toContain('la-19-0'); // its only link is to the best seed, weight 0.9
  });

  it('shadow reads report ≥ 0.95 overlap after a clean copy, and flag a planted divergence', async () => {
    const log = join(dir, 'discrepancies.ndjson');
    const shadow = new ShadowReadCoordinator({ primary: neo, secondary: engram, sampleRate: 1, discrepancyLog: log });
    for (let i = 0; i < 60; i++) await shadow.activate(query(i % CLUSTERS, 20_000 + i));
    await shadow.settle();
    const clean = shadow.report();
    expect(clean.comparisons).toBe(60);
    expect(clean.rolling.overlap).toBeGreaterThanOrEqual(0.95);
    expect(clean.rolling.status).toBe('ok');
    expect(clean.latencyMs.secondary.p99).toBeGreaterThan(0);

    // planted: five new memories close to cluster 7's centre land in Neo4j only
    for (let j = 0; j < 5; j++) await neo.createMemory({ ...member(7, 100 + j), embedding: centre(7).map((x, i) => x + 0.3 * normals(70_000 + j, 768)[i]!) });
    await shadow.activate(query(7, 31_337));
    await shadow.close();
    const report = shadow.report();
    expect(report.discrepancies).toBeGreaterThanOrEqual(1);
    const lines = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; onlyPrimary: string[]; space: string });
    const planted = lines.find((l) => l.onlyPrimary.some((id) => id.startsWith('la-7-10')));
    expect(planted).toMatchObject({ kind: 'discrepancy', space: SPACE });
    expect(planted!.onlyPrimary.filter((id) => id.startsWith('la-7-10'))).toHaveLength(5);
  });
});
