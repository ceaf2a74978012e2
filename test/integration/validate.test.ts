import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../src/config/config-schema.js';
import { backfill } from '../../src/engine/backfill.js';
import { createTarget } from '../../src/target/create-target.js';
import { EngramClient } from '../../src/target/engram-client.js';
import { BackfillValidator } from '../../src/validate/backfill-validator.js';
import { validate } from '../../src/validate/validate.js';
import { validateLoop } from '../../src/validate/validate-loop.js';
import type { FaultKind, ValidationReport } from '../../src/validate/validation-report.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { driverFor, loadFixtureGraph, neo4jUri, tempDir, testConfig } from '../helpers/backfill-fixture.js';
import { corruptBundle, CorruptingTarget, nearDuplicate, unrelatedVector, writeMemory } from './validate-corruption.js';

const NODES = 400;
const CENSUS = 100_000; // more than the graph holds: every node is sampled, so every planted fault must be found
// Generated embeddings come from `name` by default, and people share names: Engram would rightly merge
// their identical vectors. Adding the id keeps them apart (max cosine ~0.85 with the tiny model).
const mapping = { textProperties: { Person: ['id', 'name'], Organization: ['id', 'name'] } };
const MAPPING_REJECTS = { EMBEDDING_WIDTH: 1, EMBEDDING_INVALID: 2, CONTENT_TOO_LARGE: 1, UNSUPPORTED_PROPERTY: 1 };
// The fixture plants 8 node rejects and 1 relationship reject on purpose; validation fails on any reject
// by default (tested below), so the "clean" expectations allow those.
const PLANTED_REJECT_RATE = { maxRejectedRate: 0.05 };
const run = promisify(execFile);

let driver: Driver;
const doubles: EngramDouble[] = [];

beforeAll(async () => {
  driver = driverFor();
  await loadFixtureGraph(driver, NODES, 21);
});

afterAll(async () => {
  await Promise.all(doubles.map((d) => d.stop()));
  await driver?.close();
});

async function double(options: Parameters<typeof startEngramDouble>[0] = {}): Promise<EngramDouble> {
  const d = await startEngramDouble(options);
  doubles.push(d);
  return d;
}

const idsOf = (r: ValidationReport, kind: FaultKind): string[] =>
  r.faults
    .filter((f) => f.kind === kind)
    .map((f) => f.id)
    .sort();
const statusOf = (r: ValidationReport): Record<string, string> => Object.fromEntries(r.checks.map((c) => [c.name, c.status]));

async function documents(limit: number): Promise<Array<{ id: string; embedding: number[] }>> {
  const result = await driver.executeQuery(
    "MATCH (d:Document) WHERE size(d.embedding) = 768 AND NOT d.id STARTS WITH 'planted' RETURN d.id AS id, d.embedding AS embedding ORDER BY id LIMIT $n",
    { n: neo4j.int(limit) },
  );
  return result.records.map((r) => ({ id: r.get('id') as string, embedding: r.get('embedding') as number[] }));
}

function expectClean(report: ValidationReport): void {
  expect(report.faults).toEqual([]);
  // Census: every node with a usable key, except that the two Legacy nodes sharing key planted-dup are one memory.
  expect(report.sample).toMatchObject({ repeatedKeys: 1, sampled: report.sample.population - 1 });
  expect(report.counters.present).toBe(report.counters.expected);
  expect(report.counters.rejectedByMapping).toBe(5);
  expect(report.rejectedByMappingByCode).toEqual(MAPPING_REJECTS);
  expect(report.counters.regenerated).toBeGreaterThan(0); // nodes without an embedding were checked against a fresh inference
  expect(report.passed).toBe(true);
}

describe('validate against the bundle', () => {
  let config: ResolvedConfig;
  let inFlight: BackfillValidator;

  beforeAll(async () => {
    config = testConfig({ mapping });
    inFlight = new BackfillValidator({ config, every: 150, sampleSize: 1000 });
    const summary = await backfill({ config, onBatchCommitted: (b) => inFlight.onBatch(b) });
    await inFlight.finish();
    expect(summary.status).toBe('completed');
  });

  it('finds zero faults on a clean migration, and says which sampled nodes the mapping rejects', async () => {
    const report = await validate({ config, sampleSize: CENSUS, thresholds: PLANTED_REJECT_RATE });
    expectClean(report);
    expect(statusOf(report)).toEqual({
      missing: 'pass',
      embedding: 'pass',
      content: 'pass',
      edges: 'pass',
      'space-counts': 'pass',
      migrated: 'pass',
      'rejected-nodes': 'pass',
      relationships: 'pass',
    });
    expect(report.counters.edgeChecked).toBeGreaterThan(NODES / 2);
    const legacy = report.spaces.find((s) => s.space === 'legacy')!;
    expect(legacy).toMatchObject({ neo4j: 4, rejected: 2, expected: 2, target: 2, difference: 0 });
  });

  it('fails the same clean migration by default, because the backfill rejected records, naming the codes', async () => {
    const report = await validate({ config, sampleSize: 50 });
    const rejected = report.checks.find((c) => c.name === 'rejected-nodes')!;
    expect(rejected.status).toBe('fail');
    expect(rejected.failures).toBe(8);
    expect(rejected.note).toContain('1 × DUPLICATE_KEY');
    expect(report.checks.find((c) => c.name === 'relationships')).toMatchObject({ status: 'fail', failures: 1 });
    expect(report.passed).toBe(false);
  });

  it('validated every window during the backfill (--validate-every), all clean', () => {
    expect(inFlight.errors).toEqual([]);
    expect(inFlight.reports.length).toBeGreaterThanOrEqual(3);
    const written = inFlight.reports.reduce((s, r) => s + r.counters.sampled, 0);
    const summaryWritten = inFlight.reports.reduce((s, r) => s + r.sample.population, 0);
    expect(written).toBe(summaryWritten); // windows smaller than the reservoir: every memory was checked
    for (const r of inFlight.reports) {
      expect(r.mode).toBe('in-flight');
      expect(r.passed).toBe(true);
      expect(r.counters.embeddingChecked).toBe(r.counters.sampled);
    }
    const latest = JSON.parse(readFileSync(join(config.runDir, 'validate', 'latest.json'), 'utf8')) as ValidationReport;
    expect(latest.mode).toBe('in-flight');
  });

  it('finds every planted fault with its cause: deleted memories, altered embeddings, wrong content, dropped edges', async () => {
    const copy = tempDir('corrupt-bundle');
    cpSync(config.target.path, copy, { recursive: true });
    const plant = corruptBundle(copy);
    const corrupt: ResolvedConfig = { ...config, target: { ...config.target, path: copy } };
    // Small chunks: the sampled nodes are fetched by the fetch threads (a census this small would stay on the main thread).
    const report = await validate({ config: corrupt, sampleSize: CENSUS, chunkSize: 64, thresholds: PLANTED_REJECT_RATE });
    expect(idsOf(report, 'missing')).toEqual([...plant.deleted].sort());
    expect(idsOf(report, 'embedding-mismatch')).toEqual([...plant.alteredEmbedding].sort());
    expect(idsOf(report, 'content-mismatch')).toEqual([...plant.wrongContent].sort());
    expect(idsOf(report, 'edge-count-mismatch')).toEqual([...plant.droppedEdge].sort());
    expect(report.faultsByKind).toEqual({ missing: 3, 'embedding-mismatch': 3, 'content-mismatch': 3, 'edge-count-mismatch': 3 });
    for (const f of report.faults.filter((x) => x.kind === 'edge-count-mismatch')) expect(f.actual).toBe(f.expected! - 1);
    expect(statusOf(report)).toMatchObject({
      missing: 'fail',
      embedding: 'fail',
      content: 'fail',
      edges: 'fail',
      'space-counts': 'fail',
      'rejected-nodes': 'pass',
    });
    expect(report.spaces.find((s) => s.space === 'person')!.difference).toBe(-3);
    expect(report.passed).toBe(false);

    // The CLI: exit 7 on faults; the same faults pass once every threshold is raised by flags.
    const file = join(tempDir('cli-config'), 'config.json');
    writeFileSync(file, JSON.stringify({ mapping: config.mapping }));
    const cli = [
      'dist/src/cli/main.js',
      'validate',
      '-c',
      file,
      '--neo4j-uri',
      neo4jUri(),
      '--bundle',
      copy,
      '--run-dir',
      config.runDir,
      '--model',
      './models/tiny',
      '--sample',
      String(CENSUS),
      '--json',
    ];
    const failed = await run(process.execPath, cli).then(
      () => 0,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed).toMatchObject({ code: 7 });
    expect((JSON.parse((failed as { stdout: string }).stdout) as ValidationReport).faultsByKind).toEqual(report.faultsByKind);
    const loose = [
      '--max-missing-rate',
      '0.5',
      '--max-embedding-mismatch-rate',
      '0.5',
      '--max-content-mismatch-rate',
      '0.5',
      '--max-edge-mismatch-rate',
      '0.5',
      '--max-count-diff-rate',
      '0.5',
      '--max-rejected-rate',
      '0.5',
    ];
    const passed = await run(process.execPath, [...cli, ...loose]);
    expect((JSON.parse(passed.stdout) as ValidationReport).passed).toBe(true);
  });

  it('runs continuously, one stored report per sweep with a new seed each time', async () => {
    const result = await validateLoop({ config, sampleSize: 40, everyMs: 10, times: 2, thresholds: PLANTED_REJECT_RATE });
    expect(result).toMatchObject({ iterations: 2, failed: 0 });
    const history = readFileSync(join(config.runDir, 'validate', 'history.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { mode: string; seed: number });
    const sweeps = history.filter((h) => h.mode === 'sweep').slice(-2);
    expect(sweeps.map((h) => h.seed)).toEqual([config.validate.seed, config.validate.seed + 1]);
  });
});

describe('validate against Engram (the double)', () => {
  it('finds zero faults on a clean migration and never passes edges', async () => {
    const engram = await double();
    const config = testConfig({ mapping, target: { kind: 'engram', url: engram.url } });
    expect((await backfill({ config })).status).toBe('completed');
    const report = await validate({ config, sampleSize: CENSUS, thresholds: PLANTED_REJECT_RATE });
    expectClean(report);
    expect(statusOf(report).edges).toBe('not-verifiable');
    expect(report.counters.edgeChecked).toBe(0);
  });

  it('explains each missing memory: lost to dedup (naming the survivor), missing; finds altered embeddings and content', async () => {
    const engram = await double();
    const config = testConfig({ mapping, target: { kind: 'engram', url: engram.url } });
    const client = new EngramClient({ url: engram.url });
    const docs = await documents(12);
    const dedupVictims = docs.slice(0, 3);
    const dropped = new Set(docs.slice(3, 6).map((d) => d.id));
    const wrongContent = new Set(docs.slice(6, 9).map((d) => d.id));
    const refused = new Set(docs.slice(9, 12).map((d) => d.id)); // refused at write: in the reject log, so not missing
    // Another writer stored near-duplicates first: Engram answers 201 to the migration's writes and keeps these.
    // At confidence 1, as the migration writes: a strictly higher confidence would replace them (measured on the real server).
    for (const [i, d] of dedupVictims.entries())
      await writeMemory(client, 'document', `intruder-${i}`, 'written by someone else', nearDuplicate(d.embedding, i), 1);
    const inFlight = new BackfillValidator({ config, every: 150, sampleSize: 1000 });
    const target = new CorruptingTarget(createTarget(config), dropped, wrongContent, refused);
    expect((await backfill({ config, target, onBatchCommitted: (b) => inFlight.onBatch(b) })).status).toBe('completed');
    await inFlight.finish();
    const topics = (await driver.executeQuery("MATCH (t:Topic) WHERE NOT t.id STARTS WITH 'planted' RETURN t.id AS id ORDER BY id LIMIT 3")).records.map(
      (r) => r.get('id') as string,
    );
    for (const [i, id] of topics.entries()) await writeMemory(client, 'topic', id, engram.store.get('topic', id)!.content, unrelatedVector(i + 5), 1);
    await client.close();

    const report = await validate({ config, sampleSize: CENSUS });
    expect(idsOf(report, 'lost-to-dedup')).toEqual(dedupVictims.map((d) => d.id).sort());
    for (const f of report.faults.filter((x) => x.kind === 'lost-to-dedup')) {
      expect(f.duplicateOf).toBe(`intruder-${dedupVictims.findIndex((d) => d.id === f.id)}`);
      expect(f.cosine).toBeGreaterThanOrEqual(0.95);
    }
    expect(idsOf(report, 'missing')).toEqual([...dropped].sort());
    expect(idsOf(report, 'content-mismatch')).toEqual([...wrongContent].sort());
    expect(idsOf(report, 'embedding-mismatch')).toEqual([...topics].sort());
    expect(report.faultsByKind).toEqual({ 'lost-to-dedup': 3, missing: 3, 'content-mismatch': 3, 'embedding-mismatch': 3 });
    expect(statusOf(report)).toMatchObject({ missing: 'fail', embedding: 'fail', content: 'fail', edges: 'not-verifiable', 'space-counts': 'fail' });
    expect(report.counters.rejectedAtWrite).toBe(3);
    expect(report.spaces.find((s) => s.space === 'document')).toMatchObject({ existingAtStart: 3, difference: -6 });

    // During the backfill the same losses were seen window by window, with the same causes.
    const seen = inFlight.reports.flatMap((r) => r.faults);
    expect(
      seen
        .filter((f) => f.kind === 'lost-to-dedup')
        .map((f) => f.id)
        .sort(),
    ).toEqual(dedupVictims.map((d) => d.id).sort());
    expect(
      seen
        .filter((f) => f.kind === 'missing')
        .map((f) => f.id)
        .sort(),
    ).toEqual([...dropped].sort());
    expect(inFlight.reports.reduce((n, r) => n + r.counters.rejectedAtWrite, 0)).toBe(3);
    expect(inFlight.reports.some((r) => !r.passed)).toBe(true);
  });

  it('reports memories evicted from a space over capacity as lost to eviction', async () => {
    const engram = await double({ capacity: 120 });
    // One shard pinned: otherwise a label past 0.8 × 120 is sharded instead of overflowing.
    const config = testConfig({
      mapping: { ...mapping, shards: { Person: 1 } },
      source: { labels: ['Person'] },
      target: { kind: 'engram', url: engram.url, capacityPerSpace: 120, onOverflow: 'warn' },
    });
    expect((await backfill({ config })).status).toBe('completed');
    const report = await validate({ config, sampleSize: CENSUS });
    const people = report.spaces.find((s) => s.space === 'person')!;
    expect(people).toMatchObject({ target: 120, capacity: 120, atCapacity: true });
    expect(report.counters.lostToEviction).toBe(people.expected - 120);
    expect(report.counters.lostToEviction).toBeGreaterThan(0);
    expect(report.counters.missing + report.counters.lostToDedup).toBe(0);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(['lost-to-eviction']));
    expect(report.passed).toBe(false);
  });
});
