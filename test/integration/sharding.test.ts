/**
 * Space sharding end to end against the real Neo4j and the Engram double at a capacity of 120: a label
 * of 300 nodes cannot fit one space, so it is spread over 4 shards (0.8 × 120 = 96 per shard), backfilled,
 * validated with nothing missing, and read back through the live adapter (activate fans out over the
 * shards) with the same top 10 as Neo4j's exact cosine. The same run into a bundle records its layout in
 * the manifest and `load` replays it into the shards.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../src/config/config-schema.js';
import { backfill } from '../../src/engine/backfill.js';
import { loadBundle } from '../../src/engine/load-bundle.js';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { overlapAtK } from '../../src/live/shadow/ranking-similarity.js';
import { ShadowReadCoordinator } from '../../src/live/shadow/shadow-read-coordinator.js';
import { shardSpaces, spaceOf } from '../../src/mapping/shard.js';
import { BackfillValidator } from '../../src/validate/backfill-validator.js';
import { validate } from '../../src/validate/validate.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { driverFor, tempDir, testConfig } from '../helpers/backfill-fixture.js';

const LABEL = 'ShardedMemory';
const SPACE = 'shardedmemory';
const CLUSTERS = 20;
const PER_CLUSTER = 15;
const NODES = CLUSTERS * PER_CLUSTER;
const CAPACITY = 120;
const SHARDS = 4; // ceil(300 / (0.8 × 120))

let driver: Driver;
const doubles: EngramDouble[] = [];

/** Seeded normal deviates (Box-Muller on a small LCG). */
function normals(seed: number, n: number): number[] {
  let s = seed >>> 0 || 1;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
const centre = (c: number): number[] => normals(1000 + c, 768);
/** Members at cosine ≈ 0.8 to their centre (≈ 0.64 to each other: nothing for Engram to dedup). */
const member = (c: number, j: number): number[] => {
  const noise = normals(50_000 + c * 100 + j, 768);
  return centre(c).map((x, i) => x + 0.75 * noise[i]!);
};
const query = (c: number, seed: number) => ({ space: SPACE, k: 10, embedding: centre(c).map((x, i) => x + 0.5 * normals(seed, 768)[i]!) });

async function double(): Promise<EngramDouble> {
  const d = await startEngramDouble({ capacity: CAPACITY });
  doubles.push(d);
  return d;
}

function shardedConfig(overrides: Parameters<typeof testConfig>[0] = {}): ResolvedConfig {
  return testConfig({
    source: { labels: [LABEL] },
    mapping: { keys: { [LABEL]: 'id' } },
    engine: { edges: false },
    ...overrides,
    target: { capacityPerSpace: CAPACITY, ...overrides.target },
  });
}

beforeAll(async () => {
  driver = driverFor();
  await driver.executeQuery(`MATCH (n:${LABEL}) DETACH DELETE n`);
  const rows = [];
  for (let c = 0; c < CLUSTERS; c++)
    for (let j = 0; j < PER_CLUSTER; j++) rows.push({ id: `sh-${c}-${j}`, content: `cluster ${c} member ${j}`, embedding: member(c, j) });
  await driver.executeQuery(`UNWIND $rows AS r CREATE (:${LABEL} {id: r.id, content: r.content, embedding: r.embedding})`, { rows });
});

afterAll(async () => {
  for (const d of doubles) await d.stop();
  await driver?.executeQuery(`MATCH (n:${LABEL}) DETACH DELETE n`);
  await driver?.close();
});

describe('a label bigger than a space, sharded', () => {
  let engramDouble: EngramDouble;
  let config: ResolvedConfig;
  let inFlight: BackfillValidator;

  beforeAll(async () => {
    engramDouble = await double();
    config = shardedConfig({ target: { kind: 'engram', url: engramDouble.url } });
    inFlight = new BackfillValidator({ config, every: 100, sampleSize: 50 });
    const summary = await backfill({ config, onBatchCommitted: (b) => inFlight.onBatch(b) });
    await inFlight.finish();
    expect(summary.status).toBe('completed');
    expect(summary.plan.labels[0]).toMatchObject({ label: LABEL, space: SPACE, shards: SHARDS });
  });

  it('writes every memory into the shard its id hashes to, none over capacity, none into the base space', () => {
    const shards = shardSpaces({ space: SPACE, shards: SHARDS });
    const counts = shards.map((s) => engramDouble.store.count(s));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(NODES);
    for (const n of counts) expect(n).toBeLessThanOrEqual(CAPACITY);
    expect(engramDouble.store.spaces()).not.toContain(SPACE);
    for (const id of ['sh-0-0', 'sh-7-3', 'sh-19-14']) expect(engramDouble.store.get(spaceOf(id, { space: SPACE, shards: SHARDS }), id)).toBeTruthy();
  });

  it('validates in flight, per shard, while the backfill writes', () => {
    expect(inFlight.errors).toEqual([]);
    expect(inFlight.reports.length).toBeGreaterThan(0);
    for (const r of inFlight.reports) {
      expect(r.counters.missing).toBe(0);
      expect(r.spaces.every((s) => s.space.startsWith(`${SPACE}-`) && s.difference === 0)).toBe(true);
    }
  });

  it('records the layout in the checkpoint, and refuses to resume under another', async () => {
    const path = join(config.runDir, 'checkpoint.json');
    const checkpoint = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(checkpoint.shards).toEqual({ [LABEL]: SHARDS });
    writeFileSync(path, JSON.stringify({ ...checkpoint, shards: { [LABEL]: SHARDS - 1 }, done: false }));
    try {
      const refused = await backfill({ config, resume: true });
      expect(refused).toMatchObject({ status: 'failed', error: { code: 'CHECKPOINT_INVALID', message: expect.stringContaining('shard layout') } });
    } finally {
      writeFileSync(path, JSON.stringify(checkpoint));
    }
  });

  it('validates with nothing missing: each sampled memory looked up in its shard, the space counted over its shards', async () => {
    const report = await validate({ config, sampleSize: NODES });
    expect(report.counters.sampled).toBe(NODES);
    expect(report.counters.missing).toBe(0);
    expect(report.counters.present).toBe(NODES);
    expect(report.faults).toEqual([]);
    expect(report.spaces).toEqual([expect.objectContaining({ space: SPACE, neo4j: NODES, target: NODES, difference: 0 })]);
    expect(report.passed).toBe(true);
  });

  it('reads through the live adapter: by id from its shard, activate over all shards (≥ 0.95 overlap with Neo4j)', async () => {
    const neo = new Neo4jGraphDatabase({ driver, label: LABEL, spaceProperty: null, activation: 'exact' });
    const engram = new EngramGraphDatabase({ client: { url: engramDouble.url, maxRetries: 2 }, shards: { [SPACE]: SHARDS } });
    const unsharded = new EngramGraphDatabase({ client: { url: engramDouble.url, maxRetries: 2 } });
    try {
      expect(await engram.getMemory(SPACE, 'sh-3-4')).toMatchObject({ id: 'sh-3-4', space: SPACE, content: expect.stringContaining('cluster 3 member 4') });
      expect(await unsharded.getMemory(SPACE, 'sh-3-4')).toBeNull(); // without the layout the base space is empty
      const direct = [];
      for (let c = 0; c < CLUSTERS; c += 3) {
        const q = query(c, 9000 + c);
        const [fromNeo, fromEngram] = await Promise.all([neo.activate(q), engram.activate(q)]);
        expect(fromEngram.hits).toHaveLength(10);
        direct.push(
          overlapAtK(
            fromNeo.hits.map((h) => h.id),
            fromEngram.hits.map((h) => h.id),
            10,
          ),
        );
      }
      expect(Math.min(...direct)).toBeGreaterThanOrEqual(0.95);
      const shadow = new ShadowReadCoordinator({
        primary: neo,
        secondary: engram,
        sampleRate: 1,
        discrepancyLog: join(tempDir('shadow'), 'discrepancies.ndjson'),
      });
      for (let i = 0; i < 40; i++) await shadow.activate(query(i % CLUSTERS, 20_000 + i));
      await shadow.close();
      const report = shadow.report();
      expect(report.comparisons).toBe(40);
      expect(report.rolling.overlap).toBeGreaterThanOrEqual(0.95);
    } finally {
      await engram.close();
      await unsharded.close();
    }
  });

  it('writes a live memory into its shard', async () => {
    const engram = new EngramGraphDatabase({ client: { url: engramDouble.url, maxRetries: 2 }, shards: { [SPACE]: SHARDS } });
    try {
      await engram.createMemory({ id: 'sh-live-1', space: SPACE, content: 'written live', embedding: Float32Array.from(normals(99_999, 768)) });
      expect(engramDouble.store.get(spaceOf('sh-live-1', { space: SPACE, shards: SHARDS }), 'sh-live-1')).toBeTruthy();
      expect(await engram.getMemory(SPACE, 'sh-live-1')).toMatchObject({ content: 'written live' });
    } finally {
      await engram.close();
    }
  });
});

describe('a sharded bundle', () => {
  it('records the layout in the manifest, files each shard apart, and load replays it into the same shards', async () => {
    const config = shardedConfig({ mapping: { keys: { [LABEL]: 'id' }, shards: { [LABEL]: 3 } }, target: { capacityPerSpace: 100_000 } });
    expect((await backfill({ config })).status).toBe('completed');
    const manifest = JSON.parse(readFileSync(join(config.target.path, 'manifest.json'), 'utf8')) as {
      spaces: Record<string, { count: number }>;
      info: { labels: Array<Record<string, unknown>> };
    };
    expect(manifest.info.labels[0]).toMatchObject({ label: LABEL, space: SPACE, shards: 3, shardSpaces: [`${SPACE}-0`, `${SPACE}-1`, `${SPACE}-2`] });
    expect(Object.keys(manifest.spaces).sort()).toEqual([`${SPACE}-0`, `${SPACE}-1`, `${SPACE}-2`]);
    expect(Object.values(manifest.spaces).reduce((a, s) => a + s.count, 0)).toBe(NODES);
    const target = await double();
    const summary = await loadBundle({ bundleDir: config.target.path, config: testConfig({ target: { kind: 'engram', url: target.url } }) });
    expect(summary.status).toBe('completed');
    for (const [space, info] of Object.entries(manifest.spaces)) expect(target.store.count(space)).toBe(info.count);
  });
});
