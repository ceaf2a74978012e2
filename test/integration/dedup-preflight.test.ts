/**
 * The dedup preflight against the test double, whose dedup the contract suite holds to the real server's:
 * a graph with identical stored embeddings and identical generated-embedding texts (names), sharded over
 * two spaces. The run's dedup map must name exactly the memories the double dropped, a preflight must
 * refuse before any write, and validation must count the predicted drops as expected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from 'neo4j-driver';
import { backfill } from '../../src/engine/backfill.js';
import { WriteLimiter } from '../../src/engine/write-limiter.js';
import { exitCodeForSummary } from '../../src/cli/backfill-command.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { DedupMap, dedupMapPath } from '../../src/dedup/dedup-map.js';
import { spaceOf } from '../../src/mapping/shard.js';
import { validate } from '../../src/validate/validate.js';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { clearDatabase } from '../helpers/keyed-graph.js';
import { driverFor, testConfig } from '../helpers/backfill-fixture.js';

const D = 768;
const NODES = 120;

/** Deterministic unit-ish vector number `k`. */
function vector(k: number): number[] {
  return Array.from({ length: D }, (_, i) => Math.sin((k + 1) * (i + 1) * 0.7311) + (i === k % D ? 3 : 0));
}

/**
 * Doc nodes: every third shares its stored embedding with another (groups of identical vectors), every
 * fifth has no embedding and a name shared by five nodes (generated from the name: identical vectors),
 * the rest are distinct.
 */
function rows(): Array<{ id: string; name: string; embedding: number[] | null }> {
  return Array.from({ length: NODES }, (_, i) => {
    if (i % 5 === 0) return { id: `d${i}`, name: `shared name ${i % 3}`, embedding: null };
    return { id: `d${i}`, name: `doc ${i}`, embedding: vector(i % 3 === 0 ? i % 12 : i) };
  });
}

let driver: Driver;

beforeAll(async () => {
  driver = driverFor();
  await clearDatabase(driver);
  const session = driver.session();
  try {
    await session.run('UNWIND $rows AS r CREATE (d:Doc {id: r.id, name: r.name, content: r.name}) SET d.embedding = r.embedding', { rows: rows() });
  } finally {
    await session.close();
  }
});

afterAll(async () => {
  await clearDatabase(driver);
  await driver.close();
});

function docConfig(url: string, onDedup: 'record' | 'refuse', concurrency = 1) {
  return testConfig({
    target: { kind: 'engram', url, concurrency, onDedup },
    mapping: { keys: { Doc: 'id' }, shards: { Doc: 2 }, textProperties: { Doc: ['name'] } },
    engine: { batchSize: 50 },
  });
}

/** Ids of `Doc` the double does not hold, by shard space. */
function missingIds(engram: EngramDouble): string[] {
  return rows()
    .map((r) => r.id)
    .filter((id) => engram.store.get(spaceOf(id, { space: 'doc', shards: 2 }), id) === undefined)
    .sort();
}

describe('dedup preflight (test double)', () => {
  let engram: EngramDouble;
  beforeAll(async () => {
    engram = await startEngramDouble();
  });
  afterAll(async () => {
    await engram?.stop();
  });

  it('a dry run reports the drops per shard, with examples, and writes nothing', async () => {
    const config = docConfig(engram.url, 'record');
    const summary = await backfill({ config, dryRun: true });
    expect(summary.status).toBe('dry-run');
    expect(summary.dedup).not.toBeNull();
    expect(summary.dedup!.checked).toBe(NODES);
    expect(summary.dedup!.dropped).toBeGreaterThan(20);
    expect(summary.dedup!.bySpace.map((s) => s.space)).toEqual(['doc-0', 'doc-1']);
    expect(summary.dedup!.examples[0]).toMatchObject({ label: 'Doc', reason: 'skipped' });
    expect(summary.dedup!.mapFile).toBeNull();
    expect(engram.store.spaces().filter((s) => engram.store.count(s) > 0)).toEqual([]);
  });

  it('--preflight with --on-dedup refuse stops before any write (exit 9)', async () => {
    const config = docConfig(engram.url, 'refuse');
    const summary = await backfill({ config, preflight: true });
    expect(summary.status).toBe('failed');
    expect(summary.error?.code).toBe('DEDUP_PREDICTED');
    expect(summary.error?.message).toMatch(/near-duplicates.*e\.g\. d\d+ in space doc-\d/);
    expect(exitCodeForSummary(summary)).toBe(EXIT.DEDUP);
    expect(summary.preflight?.dropped).toBeGreaterThan(0);
    expect(engram.stats.writes.stored).toBe(0);
  });

  it('--on-dedup refuse without a preflight stops before the first batch holding a drop', async () => {
    const config = docConfig(engram.url, 'refuse');
    const summary = await backfill({ config });
    expect(summary.status).toBe('failed');
    expect(summary.error?.code).toBe('DEDUP_PREDICTED');
    expect(summary.error?.message).toMatch(/label Doc .*nothing of this batch was written/);
    // The first batch of 50 already holds identical vectors (d3 and d27), so nothing was written at all.
    expect(summary.counters.memoriesWritten).toBe(0);
    expect(engram.stats.writes.stored).toBe(0);
  });

  it('record: the dedup map names exactly the memories the double dropped, and validation expects them', async () => {
    const config = docConfig(engram.url, 'record');
    // As the CLI does it: one limiter for the run (the preflight pass must not stop it).
    const summary = await backfill({ config, preflight: true, limiter: new WriteLimiter({ rate: 0, concurrency: 0 }) });
    expect(summary.error).toBeNull();
    expect(summary.status).toBe('completed');
    expect(summary.preflight!.dropped).toBe(summary.dedup!.dropped);
    const map = await DedupMap.read(dedupMapPath(config.runDir));
    const missing = missingIds(engram);
    expect(missing.length).toBe(summary.dedup!.dropped);
    const predicted = missing.filter((id) => map.lookup(spaceOf(id, { space: 'doc', shards: 2 }), id) !== undefined);
    expect(predicted).toEqual(missing);
    for (const id of missing) {
      const survivor = map.lookup(spaceOf(id, { space: 'doc', shards: 2 }), id)!.survivor;
      expect(engram.store.get(spaceOf(id, { space: 'doc', shards: 2 }), survivor)).toBeDefined();
    }
    const report = await validate({ config, sampleSize: NODES });
    expect(report.counters.droppedAsPredicted).toBe(missing.length);
    expect(report.counters.missing + report.counters.lostToDedup).toBe(0);
    expect(report.checks.find((c) => c.name === 'space-counts')?.status).toBe('pass');
    expect(report.expectedDrops?.[0]?.detail).toMatch(/dropped as near-duplicate of d\d+/);
    // The live adapter, given the map, answers a read of a dropped id with its survivor, and says so.
    const dropped = missing[0]!;
    const survivor = map.lookup(spaceOf(dropped, { space: 'doc', shards: 2 }), dropped)!.survivor;
    const withMap = new EngramGraphDatabase({ client: { url: engram.url, maxRetries: 0 }, shards: { doc: 2 }, dedupMap: map });
    const plain = new EngramGraphDatabase({ client: { url: engram.url, maxRetries: 0 }, shards: { doc: 2 } });
    try {
      const read = await withMap.getMemory('doc', dropped);
      expect(read).toMatchObject({ id: dropped, space: 'doc', servedBy: { id: survivor, reason: 'near-duplicate' } });
      expect(read!.content).toBe((await plain.getMemory('doc', survivor))!.content);
      expect(await plain.getMemory('doc', dropped)).toBeNull();
    } finally {
      await withMap.close();
      await plain.close();
    }
  });
});
