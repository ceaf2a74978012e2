/**
 * The dedup preflight against the REAL Engram server (one per file, see test/helpers/real-engram.ts): a
 * small graph in the `default` space (it exists from the start, so no new space is paid for) with groups
 * of identical embeddings, near-duplicates at cosine ~0.97, distinct ones at ~0.64, and nodes without an
 * embedding that share a name (generated from it). One connection, so the server sees the run's order:
 * the dedup map must name exactly the memories the server does not hold, each for a survivor it holds.
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DedupMap, dedupMapPath } from '../../src/dedup/dedup-map.js';
import { backfill } from '../../src/engine/backfill.js';
import { EngramClient } from '../../src/target/engram-client.js';
import { driverFor, testConfig } from '../helpers/backfill-fixture.js';
import { describeRealEngram, startRealEngram, type RealEngram } from '../helpers/real-engram.js';

const LABEL = 'RealDedupDoc';
const SPACE = 'default';

/** Seeded normal deviates (Box-Muller on a small LCG). */
function normals(seed: number, n: number): number[] {
  let s = seed >>> 0 || 1;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
const base = (c: number): number[] => normals(5100 + c, 768);
/** ≈ 0.97 to its base (noise 0.25 of the base's scale). */
const near = (c: number, j: number): number[] => {
  const noise = normals(51_000 + c * 100 + j, 768);
  return base(c).map((x, i) => x + 0.25 * noise[i]!);
};
/** ≈ 0.64 to its base: distinct. */
const far = (c: number, j: number): number[] => {
  const noise = normals(52_000 + c * 100 + j, 768);
  return base(c).map((x, i) => x + 0.75 * noise[i]!);
};

function rows(): Array<{ id: string; name: string; embedding: number[] | null }> {
  const out: Array<{ id: string; name: string; embedding: number[] | null }> = [];
  for (let c = 0; c < 10; c++) {
    out.push({ id: `rd-${c}-base`, name: `base ${c}`, embedding: base(c) });
    out.push({ id: `rd-${c}-same`, name: `same ${c}`, embedding: base(c) });
    out.push({ id: `rd-${c}-near`, name: `near ${c}`, embedding: near(c, 0) });
    out.push({ id: `rd-${c}-far`, name: `far ${c}`, embedding: far(c, 0) });
    out.push({ id: `rd-${c}-named`, name: `shared name ${c % 3}`, embedding: null });
  }
  return out;
}

let driver: Driver;
let engram: RealEngram;

describeRealEngram('dedup preflight against the real Engram server', () => {
  beforeAll(async () => {
    driver = driverFor();
    await driver.executeQuery(`MATCH (n:${LABEL}) DETACH DELETE n`);
    [engram] = await Promise.all([
      startRealEngram(),
      driver.executeQuery(`UNWIND $rows AS r CREATE (d:${LABEL} {id: r.id, name: r.name, content: r.name}) SET d.embedding = r.embedding`, {
        rows: rows(),
      }),
    ]);
  });

  afterAll(async () => {
    await engram?.stop();
    await driver?.executeQuery(`MATCH (n:${LABEL}) DETACH DELETE n`);
    await driver?.close();
  });

  it('the preflight predicts exactly the memories the server drops', async () => {
    const config = testConfig({
      source: { labels: [LABEL] },
      mapping: { keys: { [LABEL]: 'id' }, spaces: { [LABEL]: SPACE }, textProperties: { [LABEL]: ['name'] } },
      target: { kind: 'engram', url: engram.url, concurrency: 1 },
      engine: { edges: false },
    });
    const summary = await backfill({ config, preflight: true });
    expect(summary.error).toBeNull();
    expect(summary.status).toBe('completed');
    // 10 identical + 10 near + 7 generated from 3 shared names (and none of the far ones).
    expect(summary.preflight?.dropped).toBe(27);
    expect(summary.dedup?.dropped).toBe(27);

    const map = await DedupMap.read(dedupMapPath(config.runDir));
    const client = new EngramClient({ url: engram.url, maxRetries: 2 });
    try {
      const missing: string[] = [];
      for (const r of rows()) if ((await client.getMemory(SPACE, r.id)) === null) missing.push(r.id);
      const predicted = rows()
        .map((r) => r.id)
        .filter((id) => map.lookup(SPACE, id) !== undefined);
      expect(missing.sort()).toEqual(predicted.sort());
      for (const id of predicted) expect(await client.getMemory(SPACE, map.lookup(SPACE, id)!.survivor)).not.toBeNull();
    } finally {
      await client.close();
    }
  });
});
