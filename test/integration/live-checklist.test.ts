/**
 * `runChecklist` against the real Neo4j and the Engram double: a small graph migrated with the backfill's
 * own mapping, one memory planted missing; every row says what it measured, the integrity rows catch
 * the planted fault, and rows Engram cannot support are marked so.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mergeOptions, resolveConfig } from '../../src/config/resolve-config.js';
import type { ResolvedConfig } from '../../src/config/config-schema.js';
import { runChecklist, type ChecklistRow } from '../../src/live/checklist/checklist.js';
import { engramRequest } from '../../src/mapping/memory-encoding.js';
import { mapNode } from '../../src/mapping/node-mapper.js';
import { EngramClient } from '../../src/target/engram-client.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';

const LABEL = 'LiveCheckDoc';
const NODES = 120;
let driver: Driver;
let double: EngramDouble;
let client: EngramClient;
let runDir: string;
let config: ResolvedConfig;

function embedding(i: number): number[] {
  let s = i * 7919 + 17;
  const u = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5;
  const centre = i % 12;
  return Array.from({ length: 768 }, (_, d) => Math.sin(centre * 1.7 + d * 0.37) + u());
}

async function cleanup(): Promise<void> {
  const session = driver.session();
  try {
    await session.run(`MATCH (n:${LABEL}) DETACH DELETE n`);
    await session.run(`DROP INDEX ${LABEL}_embedding IF EXISTS`);
    await session.run(`DROP CONSTRAINT ${LABEL}_id_unique IF EXISTS`);
  } finally {
    await session.close();
  }
}

/** What the backfill would write for node i: the mapping of its properties, its own embedding. */
function migrate(i: number): Promise<string> {
  const properties = { id: `lc-${i}`, title: `document ${i}`, created_at: '2024-05-01T10:00:00Z' };
  const key = { properties: ['id'], source: 'constraint' as const, unique: true, reason: 'the test label' };
  const mapped = mapNode(
    { elementId: '', label: LABEL, labels: [LABEL], keyValues: [properties.id], properties, embedding: undefined },
    { kind: 'present' },
    config.mapping,
    'livecheckdoc',
    new Date().toISOString(),
    key,
  );
  if (!mapped.ok) throw new Error(mapped.reject.reason);
  return client.remember('livecheckdoc', engramRequest(mapped.node, Float32Array.from(embedding(i)), 1));
}

beforeAll(async () => {
  driver = testDriver();
  await cleanup();
  double = await startEngramDouble();
  client = new EngramClient({ url: double.url });
  runDir = await mkdtemp(join(tmpdir(), 'live-checklist-'));
  // The label has no uniqueness constraint until the checklist creates its vector index: key it by id.
  config = resolveConfig(
    mergeOptions(
      { source: { uri: testNeo4jUri(), labels: [LABEL] }, mapping: { keys: { [LABEL]: 'id' } }, target: { kind: 'engram', url: double.url }, runDir },
      {},
    ),
  );
  const rows = Array.from({ length: NODES }, (_, i) => ({ id: `lc-${i}`, title: `document ${i}`, embedding: embedding(i) }));
  await driver.executeQuery(
    `UNWIND $rows AS r CREATE (n:${LABEL} {id: r.id, title: r.title, created_at: datetime('2024-05-01T10:00:00Z'), embedding: r.embedding})`,
    { rows },
  );
  await driver.executeQuery(
    `MATCH (a:${LABEL}), (b:${LABEL}) WHERE a.id = 'lc-' + toString(toInteger(substring(b.id, 3)) + 1) CREATE (a)-[:NEXT {weight: 0.5}]->(b)`,
  );
  for (let i = 0; i < NODES; i++) if (i !== 7) await migrate(i);
});

afterAll(async () => {
  await client?.close();
  await double?.stop();
  await cleanup();
  await driver?.close();
  await rm(runDir, { recursive: true, force: true });
});

const row = (rows: ChecklistRow[], item: string): ChecklistRow => {
  const found = rows.find((r) => r.item.startsWith(item));
  if (!found) throw new Error(`no row ${item}`);
  return found;
};

it('measures every row, catches a missing memory, and marks what Engram cannot do', async () => {
  const options = { config, sampleSize: 1000, latencyQueries: 40, throughputMs: 1000, concurrency: 4, createVectorIndex: true };
  const report = await runChecklist(options);
  const { rows } = report;
  expect(rows).toHaveLength(16);
  expect(row(rows, 'All nodes migrated')).toMatchObject({
    status: 'fail',
    measured: expect.stringContaining(`Neo4j ${NODES} nodes vs Engram ${NODES - 1} memories`),
  });
  expect(row(rows, 'All nodes migrated').measured).toContain(`1/${NODES} sampled nodes missing`);
  expect(row(rows, 'All edges migrated')).toMatchObject({ status: 'unsupported', measured: expect.stringContaining(`Neo4j ${NODES - 1} relationships`) });
  expect(row(rows, 'Embeddings preserved')).toMatchObject({
    status: 'pass',
    measured: expect.stringContaining(`${NODES - 1}/${NODES - 1} with cosine ≥ 0.99`),
  });
  expect(row(rows, 'Properties preserved')).toMatchObject({
    status: 'pass',
    measured: `${NODES - 1}/${NODES - 1} memory contents equal to the mapping of the node's properties`,
  });
  for (const item of ['P50 latency', 'P99 latency']) expect(row(rows, item).measured).toMatch(/^Engram [\d.]+ ms vs Neo4j [\d.]+ ms \([\d.]+×/);
  expect(row(rows, 'Throughput').measured).toMatch(/^Engram [\d.]+\/s vs Neo4j [\d.]+\/s/);
  expect(row(rows, 'Error rate')).toMatchObject({ status: 'pass' });
  expect(row(rows, 'P50 latency').source).toContain('db.index.vector.queryNodes');
  const overlap = row(rows, 'Activation results similar');
  expect(overlap.status).toBe('pass');
  expect(Number(/mean overlap@10 ([\d.]+)%/.exec(overlap.measured)?.[1])).toBeGreaterThan(90);
  for (const item of ['Pattern completion', 'Memory consolidation', 'Decay']) expect(row(rows, item).status).toBe('unsupported');
  expect(rows.filter((r) => r.status === 'manual')).toHaveLength(4);
  expect(report.passed).toBe(false);

  await migrate(7);
  const fixed = await runChecklist({ ...options, latencyQueries: 10, throughputMs: 200 });
  expect(row(fixed.rows, 'All nodes migrated')).toMatchObject({
    status: 'pass',
    measured: expect.stringContaining(`Neo4j ${NODES} nodes vs Engram ${NODES} memories`),
  });
  expect(row(fixed.rows, 'Embeddings preserved').status).toBe('pass');
});
