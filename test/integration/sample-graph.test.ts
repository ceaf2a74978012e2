import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSampleNode,
  loadSampleGraph,
  resolveSampleGraphOptions,
  SAMPLE_LABELS,
  SAMPLE_RELATIONSHIP_TYPES,
  sampleCounts,
  sampleNodeBatches,
  type LoadSampleGraphResult,
} from '../../src/sample/sample-graph.js';
import { isPortInUse, startNeo4j, stopNeo4j } from '../../src/sample/neo4j-server.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';

const OPTIONS = { nodes: 2_000, seed: 7, missingEmbeddings: 0.25 } as const;

async function rows<T>(driver: Driver, cypher: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const r = await driver.executeQuery(cypher, params);
  return r.records.map((rec) => rec.toObject() as T);
}

async function count(driver: Driver, cypher: string): Promise<number> {
  const [row] = await rows<{ n: number }>(driver, cypher);
  return row?.n ?? -1;
}

describe('sample graph loaded into a real Neo4j', () => {
  let driver: Driver;
  let loaded: LoadSampleGraphResult;
  const expected = sampleCounts(OPTIONS);

  beforeAll(async () => {
    driver = testDriver({ disableLosslessIntegers: true });
    loaded = await loadSampleGraph(driver, { ...OPTIONS, clear: true });
  });

  afterAll(async () => {
    await driver.close();
  });

  it('creates exactly the nodes and relationships sampleCounts promises', async () => {
    for (const label of SAMPLE_LABELS) {
      expect(await count(driver, `MATCH (n:${label}) RETURN count(n) AS n`), label).toBe(expected.nodes[label]);
    }
    for (const type of SAMPLE_RELATIONSHIP_TYPES) {
      expect(await count(driver, `MATCH ()-[r:${type}]->() RETURN count(r) AS n`), type).toBe(expected.relationships[type]);
    }
    expect(loaded.nodes).toBe(expected.totalNodes);
    expect(loaded.relationships).toBe(expected.totalRelationships);
    expect(loaded.nodesByLabel).toEqual(expected.nodes);
    expect(loaded.relationshipsByType).toEqual(expected.relationships);
    expect(loaded.nodesPerSecond).toBeGreaterThan(0);
  });

  it('has a uniqueness constraint on id for every label', async () => {
    const constraints = await rows<{ labels: string[]; props: string[]; type: string }>(
      driver,
      'SHOW CONSTRAINTS YIELD labelsOrTypes AS labels, properties AS props, type',
    );
    for (const label of SAMPLE_LABELS) {
      const found = constraints.find((c) => c.labels.includes(label) && c.props.join() === 'id');
      expect(found?.type, label).toBe('UNIQUENESS');
    }
  });

  it('leaves the asked share of documents without an embedding and gives the rest 768 floats', async () => {
    const missing = await count(driver, 'MATCH (d:Document) WHERE d.embedding IS NULL RETURN count(d) AS n');
    expect(missing).toBe(expected.documentsWithoutEmbedding);
    expect(missing / expected.nodes.Document).toBeGreaterThan(0.2);
    expect(missing / expected.nodes.Document).toBeLessThan(0.3);
    const widths = await rows<{ w: number }>(driver, 'MATCH (d:Document) WHERE d.embedding IS NOT NULL RETURN DISTINCT size(d.embedding) AS w');
    expect(widths.map((x) => x.w)).toEqual([768]);
  });

  it('stores what the generator produced, so a reload with the same seed gives the same graph', async () => {
    const read = (): Promise<{ id: string; content: string }[]> => rows(driver, 'MATCH (d:Document) RETURN d.id AS id, d.content AS content ORDER BY id');
    const before = await read();
    const generated = [...sampleNodeBatches(resolveSampleGraphOptions(OPTIONS), 'Document', 500)].flat();
    expect(before).toEqual(generated.map((d) => ({ id: d.id, content: d.content })).sort((a, b) => (a.id < b.id ? -1 : 1)));

    const again = await loadSampleGraph(driver, { ...OPTIONS, clear: true });
    expect(again.nodes).toBe(expected.totalNodes);
    expect(await read()).toEqual(before);
  });

  it('keeps Neo4j types: temporal values, integer lists, big integers, absent properties', async () => {
    const r = resolveSampleGraphOptions(OPTIONS);
    const org = generateSampleNode(r, 'Organization', 0);
    const lossless = testDriver();
    try {
      const res = await lossless.executeQuery('MATCH (o:Organization {id: $id}) RETURN o', { id: org.id });
      const o = res.records[0]?.get('o') as { properties: Record<string, unknown> };
      expect(neo4j.isInt(o.properties.registry_number)).toBe(true);
      expect(BigInt(String(o.properties.registry_number))).toBe(org.registry_number);
      expect(neo4j.isDate(o.properties.founded)).toBe(true);
    } finally {
      await lossless.close();
    }
    const [t] = await rows<{ d: unknown; l: unknown; ranks: unknown[]; typ: string }>(
      driver,
      'MATCH (t:Topic) WITH t LIMIT 1 RETURN t.review_every AS d, t.created_local AS l, t.ranks AS ranks, valueType(t.ranks) AS typ',
    );
    expect(neo4j.isDuration(t?.d)).toBe(true);
    expect(neo4j.isLocalDateTime(t?.l)).toBe(true);
    expect(t?.typ).toMatch(/^LIST<INTEGER/);
    const people = [...sampleNodeBatches(r, 'Person', 1_000)].flat();
    const withoutEmail = people.filter((p) => p.email === undefined).length;
    expect(await count(driver, 'MATCH (p:Person) WHERE p.email IS NULL RETURN count(p) AS n')).toBe(withoutEmail);
    const [read] = await rows<{ ts: unknown; typ: string }>(
      driver,
      'MATCH ()-[x:READ]->() WITH x LIMIT 1 RETURN x.timestamp AS ts, valueType(x.duration) AS typ',
    );
    expect(neo4j.isDateTime(read?.ts)).toBe(true);
    expect(read?.typ).toBe('INTEGER NOT NULL');
  });
});

describe('Neo4j server control', () => {
  it('refuses to start on a port that is already serving, without touching that server', async () => {
    const port = Number(new URL(testNeo4jUri().replace(/^bolt/, 'http')).port);
    expect(await isPortInUse(port)).toBe(true);
    const dataDir = await mkdtemp(join(tmpdir(), 'neo4j-busy-'));
    try {
      await expect(startNeo4j({ port, dataDir })).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
      await expect(startNeo4j({ port, dataDir })).rejects.toThrow(/already in use/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    const driver = testDriver();
    try {
      await driver.verifyConnectivity();
    } finally {
      await driver.close();
    }
  });

  it('reports not-running for a pid file that names no live launcher', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'neo4j-pid-'));
    try {
      expect(await stopNeo4j(join(dir, 'neo4j.pid'))).toBe('not-running');
      // The pid of this test process is alive but is no Neo4j launcher: it must never be signalled.
      expect(await stopNeo4j({ pid: process.pid })).toBe('not-running');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
