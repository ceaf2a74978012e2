import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { Neo4jSource } from '../../src/source/neo4j-source.js';
import { driverFor, testConfig } from '../helpers/backfill-fixture.js';
import { clearDatabase } from '../helpers/keyed-graph.js';

/**
 * A supernode: one node with RELS outgoing relationships (100,000 by default; SUPERNODE_RELS=1000000 for
 * the million, about ten minutes here). Relationships are read by relationship-id pages, so no page
 * holds more than the page size whatever one node's degree, and every relationship is accounted for.
 */
const RELS = Number(process.env.SUPERNODE_RELS ?? 100_000);
const PAGE = 5_000;
let driver: Driver;

beforeAll(async () => {
  driver = driverFor();
  await clearDatabase(driver);
  const session = driver.session();
  try {
    await session.run("CREATE (:Hub {name: 'hub'}), (:Leaf {name: 'leaf a'}), (:Leaf {name: 'leaf b'})");
    await session.run(
      `UNWIND range(1, $n) AS i CALL (i) { MATCH (h:Hub), (l:Leaf {name: CASE i % 2 WHEN 0 THEN 'leaf a' ELSE 'leaf b' END}) CREATE (h)-[:LINKS {i: i}]->(l) } IN TRANSACTIONS OF 20000 ROWS`,
      { n: neo4j.int(RELS) },
    );
  } finally {
    await session.close();
  }
});

afterAll(async () => {
  if (driver) await clearDatabase(driver);
  await driver?.close();
});

it(`reads a node's ${RELS} relationships in pages of at most ${PAGE}, and migrates every one`, async () => {
  const config = testConfig({ engine: { edgeBatchSize: PAGE } });
  const source = new Neo4jSource(config.source, config.mapping);
  try {
    const bounds = (await source.relationshipIdBounds())!;
    let read = 0;
    let largest = 0;
    for (let after = bounds.lo - 1; after < bounds.hi; ) {
      const page = await source.relationshipPage(after + 1, Math.min(bounds.hi, after + 4 * PAGE), PAGE, ['name'], ['Hub', 'Leaf']);
      read += page.relationships.length;
      largest = Math.max(largest, page.relationships.length);
      after = page.lastCovered;
    }
    expect(read).toBe(RELS);
    expect(largest).toBeLessThanOrEqual(PAGE);
  } finally {
    await source.close();
  }
  const summary = await backfill({ config });
  expect(summary.error).toBeNull();
  expect(summary.counters).toMatchObject({ relationshipsRead: RELS, edgesWritten: RELS, relationshipsRejected: 0 });
  expect(summary.accounted).toBe(true);
});
