/**
 * Sharding against the REAL Engram server (one per file, see test/helpers/real-engram.ts): a small label
 * forced over 2 shards with `mapping.shards` (the server's capacity is fixed at 100,000, far above what
 * a test can write), backfilled, validated by read-back with nothing missing, and activated through the
 * live adapter over both shards. Kept to 200 memories and 2 new spaces: each new space costs seconds at
 * its first write and ~3 GB of mapped pages.
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { overlapAtK } from '../../src/live/shadow/ranking-similarity.js';
import { shardSpaces } from '../../src/mapping/shard.js';
import { EngramClient } from '../../src/target/engram-client.js';
import { validate } from '../../src/validate/validate.js';
import { driverFor, testConfig } from '../helpers/backfill-fixture.js';
import { describeRealEngram, startRealEngram, type RealEngram } from '../helpers/real-engram.js';

const LABEL = 'RealShardedMemory';
const SPACE = 'realshard';
const SHARDS = 2;
const CLUSTERS = 20;
const PER_CLUSTER = 10;
const NODES = CLUSTERS * PER_CLUSTER;

let driver: Driver;
let engram: RealEngram;

/** Seeded normal deviates (Box-Muller on a small LCG). */
function normals(seed: number, n: number): number[] {
  let s = seed >>> 0 || 1;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
const centre = (c: number): number[] => normals(7000 + c, 768);
/** Members at cosine ≈ 0.8 to their centre (≈ 0.64 to each other: nothing for Engram to dedup). */
const member = (c: number, j: number): number[] => {
  const noise = normals(70_000 + c * 100 + j, 768);
  return centre(c).map((x, i) => x + 0.75 * noise[i]!);
};

describeRealEngram('sharding against the real Engram server', () => {
  beforeAll(async () => {
    driver = driverFor();
    await driver.executeQuery(`MATCH (n:${LABEL}) DETACH DELETE n`);
    const rows = [];
    for (let c = 0; c < CLUSTERS; c++)
      for (let j = 0; j < PER_CLUSTER; j++) rows.push({ id: `rs-${c}-${j}`, content: `cluster ${c} member ${j}`, embedding: member(c, j) });
    [engram] = await Promise.all([
      startRealEngram(),
      driver.executeQuery(`UNWIND $rows AS r CREATE (:${LABEL} {id: r.id, content: r.content, embedding: r.embedding})`, { rows }),
    ]);
  });

  afterAll(async () => {
    await engram?.stop();
    await driver?.executeQuery(`MATCH (n:${LABEL}) DETACH DELETE n`);
    await driver?.close();
  });

  it('a dry run creates no shard; the backfill over 2 shards validates 0 missing and activates over both shards like Neo4j', async () => {
    const config = testConfig({
      source: { labels: [LABEL] },
      mapping: { keys: { [LABEL]: 'id' }, spaces: { [LABEL]: SPACE }, shards: { [LABEL]: SHARDS } },
      target: { kind: 'engram', url: engram.url },
      engine: { edges: false },
    });
    const client = new EngramClient({ url: engram.url, maxRetries: 2 });
    try {
      // A dry run first: it plans both shards but does not ask the server about them, since asking creates a space.
      const dry = await backfill({ config, dryRun: true });
      expect(dry.status).toBe('dry-run');
      expect(dry.plan.spaces.map((s) => s.space)).toEqual(shardSpaces({ space: SPACE, shards: SHARDS }));
      expect(dry.plan.warnings).toContainEqual(expect.stringMatching(/^dry run: 2 space\(s\) not loaded on the target \(realshard-0, realshard-1\)/));
      expect([...(await client.loadedSpaces())].filter((s) => s.startsWith(SPACE))).toEqual([]);

      const summary = await backfill({ config });
      expect(summary.status).toBe('completed');
      expect(summary.counters.memoriesWritten).toBe(NODES);

      const counts = await Promise.all(shardSpaces({ space: SPACE, shards: SHARDS }).map((s) => client.spaceCount(s)));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(NODES);
      expect(counts.every((n) => n > 0)).toBe(true);
    } finally {
      await client.close();
    }

    const report = await validate({ config, sampleSize: NODES });
    expect(report.counters.missing).toBe(0);
    expect(report.counters.present).toBe(NODES);
    expect(report.spaces).toEqual([expect.objectContaining({ space: SPACE, target: NODES, difference: 0 })]);

    const neo = new Neo4jGraphDatabase({ driver, label: LABEL, spaceProperty: null, activation: 'exact' });
    const adapter = new EngramGraphDatabase({ client: { url: engram.url, maxRetries: 2 }, shards: { [SPACE]: SHARDS } });
    try {
      const overlaps: number[] = [];
      for (let c = 0; c < CLUSTERS; c += 2) {
        const q = { space: SPACE, k: 10, embedding: centre(c).map((x, i) => x + 0.5 * normals(9100 + c, 768)[i]!) };
        const [fromNeo, fromEngram] = await Promise.all([neo.activate(q), adapter.activate(q)]);
        overlaps.push(
          overlapAtK(
            fromNeo.hits.map((h) => h.id),
            fromEngram.hits.map((h) => h.id),
            10,
          ),
        );
      }
      expect(overlaps.reduce((a, b) => a + b, 0) / overlaps.length).toBeGreaterThanOrEqual(0.95);
    } finally {
      await adapter.close();
    }
  });
});
