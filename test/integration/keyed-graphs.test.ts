import { join } from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import type { RejectRecord } from '../../src/mapping/types.js';
import { totalDbHits, type ProfiledPlan } from '../../src/source/profile-hits.js';
import { nodePageCypher } from '../../src/source/neo4j-source.js';
import { validate } from '../../src/validate/validate.js';
import { driverFor, readBundleMemories, readNdjson, testConfig } from '../helpers/backfill-fixture.js';
import { clearDatabase, KEYED, loadKeyedGraph } from '../helpers/keyed-graph.js';

let driver: Driver;

beforeAll(async () => {
  driver = driverFor();
  await loadKeyedGraph(driver);
});

afterAll(async () => {
  // Its uniqueness constraint on Person.name would refuse the sample graph's shared names in later suites.
  if (driver) await clearDatabase(driver);
  await driver?.close();
});

type EdgeLine = {
  source: string;
  source_space: string;
  target: string;
  target_space: string;
  type: string;
  weight: number;
  properties: Record<string, unknown>;
};

describe('graphs keyed unlike the sample', () => {
  it('migrates string keys per label, 64-bit integer keys, a composite key and a label without a key, with no config, and validates', async () => {
    const config = testConfig();
    const summary = await backfill({ config });
    expect(summary.error).toBeNull();
    const keys = Object.fromEntries(summary.plan.labels.map((l) => [l.label, [l.key.source, l.key.properties.join('+')]]));
    expect(keys).toEqual({
      Award: ['element-id', ''],
      Customer: ['constraint', 'id'],
      Movie: ['constraint', 'title'],
      Order: ['constraint', 'id'],
      Person: ['constraint', 'name'],
      Role: ['constraint', 'person+movie'],
      Tag: ['element-id', ''],
    });
    const c = summary.counters;
    expect([c.nodesRead, c.memoriesWritten, c.nodesRejected]).toEqual([KEYED.nodes, KEYED.nodes, 0]);
    expect([c.relationshipsRead, c.edgesWritten, c.relationshipsRejected]).toEqual([KEYED.relationshipCount, KEYED.relationshipCount, 0]);
    expect(summary.accounted).toBe(true);
    expect(c.timestampsDefaulted).toBe(19);
    expect(summary.plan.labels.find((l) => l.label === 'Person')!.missingTimestamp).toBe(4);
    // Two tags named 'classic' would get one vector: the plan says so before anything is written.
    expect(summary.plan.labels.find((l) => l.label === 'Tag')!.generatedTexts).toEqual({ nodes: 3, distinct: 2, properties: ['name'] });
    expect(summary.plan.labels.find((l) => l.label === 'Person')!.generatedTexts).toEqual({ nodes: 5, distinct: 5, properties: ['name'] });
    expect(summary.warnings.join('\n')).toContain('label Tag: 3 nodes without an embedding would generate theirs from name, which has only 2 distinct values');

    const ids = new Map(readBundleMemories(config.target.path).map((m) => [`${m.label}:${m.id}`, m]));
    expect(ids.has('Person:Keanu Reeves')).toBe(true);
    expect(ids.has('Movie:The Matrix')).toBe(true);
    expect(ids.has(`Order:${KEYED.bigOrderId}`)).toBe(true);
    expect(ids.has('Order:-7')).toBe(true);
    expect(ids.has('Customer:16961')).toBe(true);
    expect(ids.has('Role:~c:["Keanu Reeves","The Matrix"]')).toBe(true);
    expect([...ids.keys()].filter((k) => k.startsWith('Award:~e:'))).toHaveLength(2);
    expect(ids.get(`Order:${KEYED.bigOrderId}`)!.content).toContain(`"id":${KEYED.bigOrderId}`);

    const edges = readNdjson<EdgeLine>(join(config.target.path, 'edges.ndjson'));
    expect(edges).toHaveLength(KEYED.relationshipCount);
    const hugo = edges.find((e) => e.source === 'Hugo Weaving')!;
    expect(hugo).toMatchObject({ target: 'Cloud Atlas', type: 'ACTED_IN', properties: { roles: ['Agent Smith', 'Bill Smoke'] } });
    expect(edges.find((e) => e.type === 'REVIEWED' && e.target === 'Cloud Atlas')!.properties).toEqual({ summary: 'An amazing journey', rating: 95 });
    expect(edges.find((e) => e.target === KEYED.bigOrderId)!).toMatchObject({ source: '16961', properties: { channel: 'web', weight: 0.9 } });
    expect(edges.filter((e) => e.type === 'WON').every((e) => e.target.startsWith('~e:'))).toBe(true);

    const report = await validate({ config, sampleSize: KEYED.nodes });
    expect(report.checks.map((k) => [k.name, k.status])).toEqual([
      ['missing', 'pass'],
      ['embedding', 'pass'],
      ['content', 'pass'],
      ['edges', 'pass'],
      ['space-counts', 'pass'],
      ['migrated', 'pass'],
      ['rejected-nodes', 'pass'],
      ['relationships', 'pass'],
    ]);
    expect(report.counters.present).toBe(KEYED.nodes);
    expect(report.passed).toBe(true);
  });

  it('gives the same memory ids to nodes without a key on a second run of the same database', async () => {
    const ids = async (): Promise<string[]> => {
      const config = testConfig({ source: { labels: ['Award', 'Tag'] } });
      await backfill({ config });
      return readBundleMemories(config.target.path)
        .map((m) => m.id)
        .sort();
    };
    const [first, second] = [await ids(), await ids()];
    expect(first).toHaveLength(5);
    expect(second).toEqual(first);
  });

  it('rejects duplicates of a configured key with their relationships, never re-attaching them, and validation fails on them', async () => {
    const config = testConfig({ mapping: { keys: { Tag: 'name' } } });
    const summary = await backfill({ config });
    expect(summary.plan.labels.find((l) => l.label === 'Tag')).toMatchObject({ duplicates: KEYED.tagDuplicates, key: { source: 'keys', unique: false } });
    expect(summary.counters.nodesRejected).toBe(KEYED.tagDuplicates);
    expect(summary.counters.relationshipsRejected).toBe(KEYED.tagDuplicateRelationships);
    expect(summary.accounted).toBe(true);
    const rejects = readNdjson<RejectRecord>(join(config.runDir, 'rejects.ndjson'));
    expect(rejects.map((r) => [r.kind, r.code])).toEqual([
      ['node', 'DUPLICATE_KEY'],
      ['relationship', 'ENDPOINT_REJECTED'],
    ]);
    expect(rejects[1]!.reason).toMatch(/^target node .* was rejected: DUPLICATE_KEY/);
    const tagged = readNdjson<EdgeLine>(join(config.target.path, 'edges.ndjson')).filter((e) => e.type === 'TAGGED');
    expect(tagged.map((e) => [e.source, e.target]).sort()).toEqual([
      ['Cloud Atlas', 'sci-fi'],
      ['The Matrix', 'classic'],
    ]);
    const report = await validate({ config, sampleSize: KEYED.nodes });
    const failed = report.checks.filter((k) => k.status === 'fail').map((k) => k.name);
    expect(failed).toEqual(['rejected-nodes', 'relationships']);
    expect(report.checks.find((k) => k.name === 'rejected-nodes')!.note).toContain('1 × DUPLICATE_KEY');
    expect(report.passed).toBe(false);
  });

  it('stops at the first page when a configured key is one no node of a label has, naming label, key and constraints', async () => {
    const config = testConfig({ mapping: { key: 'name' }, source: { labels: ['Person', 'Movie'] } });
    const summary = await backfill({ config });
    expect(summary.status).toBe('failed');
    expect(summary.error?.code).toBe('CONFIG_INVALID');
    expect(summary.error?.message).toMatch(/Movie.*key name.*mapping\.key.*movie_title on \(title\)/s);
  });

  it('fails validation of a run that migrated nothing', async () => {
    const config = testConfig({ source: { labels: ['Person'] } });
    const report = await validate({ config, sampleSize: 5 });
    expect(report.checks.find((k) => k.name === 'migrated')!.status).toBe('fail');
    expect(report.passed).toBe(false);
  });

  it('never clobbers a bundle: a fresh run refuses, --append adds labels, a label twice refuses', async () => {
    const first = testConfig({ source: { labels: ['Person'] } });
    expect((await backfill({ config: first })).status).toBe('completed');
    const bundle = { target: { path: first.target.path } };
    const fresh = await backfill({ config: testConfig({ ...bundle, source: { labels: ['Movie'] } }) });
    expect(fresh.error?.code).toBe('BUNDLE_NOT_EMPTY');
    const more = await backfill({ config: testConfig({ ...bundle, source: { labels: ['Movie'] } }), append: true });
    expect(more.status).toBe('completed');
    const again = await backfill({ config: testConfig({ ...bundle, source: { labels: ['Person'] } }), append: true });
    expect(again.error?.code).toBe('BUNDLE_NOT_EMPTY');
    const labels = readBundleMemories(first.target.path).map((m) => m.label);
    expect([labels.filter((l) => l === 'Person').length, labels.filter((l) => l === 'Movie').length]).toEqual([5, 3]);
  });

  it('pages by node id at a cost that does not grow with the position in the graph (PROFILE)', async () => {
    const session = driver.session();
    try {
      await session.run('UNWIND range(1, 20000) AS i CREATE (:Filler {n: i})');
      const bounds = (await session.run('MATCH (n:Filler) RETURN min(id(n)) AS lo, max(id(n)) AS hi')).records[0]!;
      const [lo, hi] = [Number(bounds.get('lo')), Number(bounds.get('hi'))];
      const cypher = nodePageCypher({ label: 'Filler', earlier: [] }, ['n'], 'embedding');
      const profile = async (query: string, params: Record<string, unknown>): Promise<number> => {
        const result = await session.run(`PROFILE ${query}`, params);
        return totalDbHits(result.summary.profile as unknown as ProfiledPlan);
      };
      // Node ids of deleted nodes are reused, so a span holds Filler nodes and others: bound the cost by the span.
      const SPAN = 1000;
      const seek = (from: number): Promise<number> => profile(cypher, { lo: neo4j.int(from), hi: neo4j.int(from + SPAN - 1), limit: neo4j.int(SPAN) });
      const [first, last] = [await seek(lo), await seek(hi - SPAN + 1)];
      // A seek, a label check and the properties of at most SPAN nodes: a few db hits per id, wherever the page is.
      expect(first).toBeLessThanOrEqual(10 * SPAN);
      expect(last).toBeLessThanOrEqual(10 * SPAN);
      // The obvious alternative reads the label from its start on every page: its last page costs the whole label.
      const scan = await profile('MATCH (n:Filler) WHERE id(n) > $after WITH n ORDER BY id(n) LIMIT $limit RETURN n {.*}', {
        after: neo4j.int(hi - SPAN),
        limit: neo4j.int(SPAN),
      });
      expect(scan).toBeGreaterThan(20_000);
    } finally {
      await session.run('MATCH (n:Filler) DETACH DELETE n');
      await session.close();
    }
  });
});
