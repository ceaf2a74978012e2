/**
 * Fixtures for backfill integration tests: the sample graph plus one planted record for every kind of
 * bad input the engine must reject (and not lose), a config pointing at temp directories, and readers
 * for what a run wrote.
 */
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { clearDatabase } from './keyed-graph.js';
import { testDriver, testNeo4jUri } from './neo4j.js';
import { resolveConfig, mergeOptions, type PartialOptions } from '../../src/config/resolve-config.js';
import type { ResolvedConfig } from '../../src/config/config-schema.js';
import { loadSampleGraph, sampleCounts } from '../../src/sample/sample-graph.js';
import { decodeEmbedding, type BundleMemoryLine } from '../../src/mapping/memory-encoding.js';

export const neo4jUri = testNeo4jUri;

export function driverFor(): Driver {
  return testDriver({ useBigInt: true });
}

/** Each planted record and the reject code it must produce. */
export const PLANTED_REJECTS = {
  MISSING_KEY: 1,
  INVALID_KEY: 1,
  EMBEDDING_WIDTH: 1,
  EMBEDDING_INVALID: 2,
  CONTENT_TOO_LARGE: 1,
  UNSUPPORTED_PROPERTY: 1,
  DUPLICATE_KEY: 1,
  ENDPOINT_REJECTED: 1,
} as const;
export const PLANTED_NODES = 10;
export const PLANTED_RELATIONSHIPS = 1;

/**
 * Loads the sample graph, then plants bad records (the Legacy label has no uniqueness constraint; tests key
 * it by id, see {@link testConfig}, so its duplicate and its fractional key are rejects).
 */
export async function loadFixtureGraph(driver: Driver, nodes: number, seed: number, plant = true): Promise<{ nodes: number; relationships: number }> {
  // Constraints another suite (or a person at the same Neo4j) left behind would refuse the sample's data.
  await clearDatabase(driver);
  await loadSampleGraph(driver, { nodes, seed, clear: true, missingEmbeddings: 0.2 });
  const counts = sampleCounts({ nodes, seed, missingEmbeddings: 0.2 });
  const relationships = Object.values(counts.relationships as Record<string, number>).reduce((s, n) => s + n, 0);
  if (!plant) return { nodes, relationships };
  const session = driver.session();
  try {
    await session.run(`
      CREATE (:Document {content: 'a document that lost its key', created_at: datetime('2024-01-01T00:00:00Z')})
      CREATE (:Legacy {id: 12.5, name: 'a fractional key'})
      CREATE (:Document {id: 'planted-bad-width', content: 'three numbers', embedding: [0.1, 0.2, 0.3]})
      CREATE (:Document {id: 'planted-nan', content: 'nan inside', embedding: [i IN range(1, 768) | CASE WHEN i = 5 THEN 0.0 / 0.0 ELSE 0.001 * i END]})
      CREATE (:Document {id: 'planted-inf', content: 'infinity inside', embedding: [i IN range(1, 768) | CASE WHEN i = 9 THEN 1.0 / 0.0 ELSE 0.002 * i END]})
      CREATE (:Document {id: 'planted-too-big', content: reduce(s = '', i IN range(1, 12000) | s + '0123456789')})
      CREATE (:Topic {id: 'planted-point', name: 'has a point', location: point({x: 1.0, y: 2.0})})
      CREATE (:Legacy {id: 'planted-dup', name: 'first'})
      CREATE (:Legacy {id: 'planted-dup', name: 'second'})
      CREATE (:Legacy {id: 'planted-ok', name: 'a fine legacy node'})`);
    await session.run(`
      MATCH (p:Person) WITH p ORDER BY p.id LIMIT 1
      MATCH (d:Document) WHERE d.id IS NULL
      CREATE (p)-[:READ {duration: 30, timestamp: datetime()}]->(d)`);
  } finally {
    await session.close();
  }
  return { nodes: nodes + PLANTED_NODES, relationships: relationships + PLANTED_RELATIONSHIPS };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `em-${prefix}-`));
}

/** A resolved config for tests: temp run dir and bundle, tiny model, small batches, no pause. */
export function testConfig(overrides: PartialOptions = {}): ResolvedConfig {
  const base: PartialOptions = {
    source: { uri: neo4jUri(), fetchSize: 500 },
    target: { kind: 'bundle', path: tempDir('bundle'), retryBaseMs: 50, retryMaxMs: 2_000, maxRetries: 12 },
    engine: { batchSize: 250, edgeBatchSize: 250, pauseMs: 0, workers: 2, inferenceThreads: 1 },
    model: { path: './models/tiny' },
    mapping: { keys: { Legacy: 'id' } },
    runDir: tempDir('run'),
  };
  return resolveConfig(mergeOptions(base, overrides));
}

export type BundleLine = BundleMemoryLine & { vector: Float32Array };

/** Every memory line of a bundle directory (manifest or not), keyed by space then in file order. */
export function readBundleMemories(dir: string): BundleLine[] {
  const memoriesDir = join(dir, 'memories');
  if (!existsSync(memoriesDir)) return [];
  return readdirSync(memoriesDir).flatMap((file) =>
    readFileSync(join(memoriesDir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const value = JSON.parse(line) as BundleMemoryLine;
        return { ...value, vector: decodeEmbedding(value.embedding_f32) };
      }),
  );
}

export function readNdjson<T = Record<string, unknown>>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** Keyed nodes in Neo4j: `label:id` → embedding (or null), for exact comparisons. */
export async function keyedNodes(driver: Driver): Promise<Map<string, number[] | null>> {
  const session = driver.session();
  try {
    const result = await session.run('MATCH (n) WHERE n.id IS :: STRING NOT NULL RETURN labels(n)[0] AS label, n.id AS id, n.embedding AS e');
    return new Map(result.records.map((r) => [`${r.get('label') as string}:${r.get('id') as string}`, (r.get('e') as number[] | null) ?? null]));
  } finally {
    await session.close();
  }
}
