/**
 * `tune`'s fill curve (writes/s as a scratch space fills, the fitted model, shard advice, projections):
 * against the Engram double through the CLI, and against the REAL server (one per file, see
 * test/helpers/real-engram.ts), kept to a few hundred memories. Structure and sanity only: speed
 * figures belong in bench/ (bench/engram-real.ts).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBenchGraph } from '../../bench/bench-graph.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { EngramClient } from '../../src/target/engram-client.js';
import { tune, type TuneReport } from '../../src/tune/tune.js';
import { tempDir } from '../helpers/backfill-fixture.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';
import { describeRealEngram, startRealEngram, type RealEngram } from '../helpers/real-engram.js';

const LABEL = 'TuneFillDoc';
const NODES = 300;
const run = promisify(execFile);

beforeAll(async () => {
  const driver = testDriver();
  try {
    await ensureBenchGraph(driver, { label: LABEL, nodes: NODES, missing: 0, seed: 11 }, () => undefined);
  } finally {
    await driver.close();
  }
});

/** What every fill report must hold, whatever the server's speed. */
function expectSaneFill(report: TuneReport, budget: number, concurrency: number[]): NonNullable<TuneReport['fill']> {
  const fill = report.fill!;
  expect(fill).not.toBeNull();
  expect(report.slices).toHaveLength(0);
  expect(fill.writes).toBe(budget);
  expect(fill.concurrency.map((c) => c.concurrency)).toEqual(concurrency);
  expect(fill.concurrency.every((c) => c.writesPerSecond > 0)).toBe(true);
  expect(concurrency).toContain(fill.bestConcurrency);
  expect(fill.points.length).toBeGreaterThanOrEqual(4);
  const fills = fill.points.map((p) => p.fill);
  expect(fills).toEqual([...fills].sort((a, b) => a - b));
  expect(fills.at(-1)!).toBeLessThan(budget);
  expect(fill.points.every((p) => p.writesPerSecond > 0 && p.writes > 0)).toBe(true);
  expect(fill.model.secondsPerWrite0).toBeGreaterThan(0);
  expect(fill.model.secondsPerWritePerMemory).toBeGreaterThanOrEqual(0);
  expect(fill.firstWriteSeconds).toBeGreaterThan(0);
  expect(fill.shardSize.shardSize).toBeGreaterThanOrEqual(1_000);
  expect(fill.shardSize.shardSize).toBeLessThanOrEqual(80_000);
  // The counted graph fits one space; the article's 10M needs at least 125 spaces of 80,000.
  const counted = fill.projections.find((p) => p.nodes === NODES)!;
  expect(counted).toMatchObject({ layout: 'one space', shards: 1 });
  const article = fill.projections.filter((p) => p.nodes === 10_000_000);
  expect(article[0]).toMatchObject({ layout: 'plan minimum', shards: 125, perShard: 80_000 });
  // Recommended layouts stay within the server's spaces (128 by default: ~3 GB of page cache each).
  expect(fill.maxSpaces).toBe(128);
  for (const p of fill.projections) expect(p.shards).toBeLessThanOrEqual(Math.max(128, Math.ceil(p.nodes / 80_000)));
  for (const p of fill.projections) expect(p.seconds).toBeGreaterThan(0);
  // Recommended sharding is never projected slower than the plan's minimum (it minimises the model's time).
  if (article[1]) expect(article[1].seconds).toBeLessThanOrEqual(article[0]!.seconds);
  return fill;
}

describe('tune fill curve against the Engram double', () => {
  let engram: EngramDouble;
  beforeAll(async () => {
    engram = await startEngramDouble();
  });
  afterAll(async () => {
    await engram.stop();
  });

  it('--fill-only writes exactly the budget into <prefix>-fill, prints the curve, the fit and the projections, and exits 0', async () => {
    const dir = tempDir('tune-fill-cli');
    const args = ['dist/src/cli/main.js', 'tune', '--neo4j-uri', testNeo4jUri(), '--labels', LABEL, '--target', 'engram', '--engram-url', engram.url];
    args.push(
      '--run-dir',
      join(dir, 'run'),
      '--out',
      join(dir, 'out'),
      '--fill-only',
      '--fill-budget',
      '400',
      '--concurrency',
      '2,8',
      '--scratch-space',
      'tfd',
    );
    const { stderr } = await run(process.execPath, args, { maxBuffer: 1 << 24 });
    expect(stderr).toContain('fill curve of scratch space tfd-fill (400 memories');
    expect(stderr).toMatch(/fit: 1\/rate = [\d.]+ ms \+ [\d.]+ µs × fill \(r² /);
    expect(stderr).toMatch(/projection 10000000 nodes, plan minimum: 125 spaces of 80000 → /);
    expect(stderr).toMatch(/use: --concurrency (2|8)\n/);
    expect(engram.store.count('tfd-fill')).toBe(400);
    expect(engram.store.count('tunefilldoc')).toBe(0);
  });

  it('reports a sane curve, fit, shard advice and projections (library call)', async () => {
    const config = resolveConfig({
      source: { uri: testNeo4jUri(), labels: [LABEL] },
      target: { kind: 'engram', url: engram.url },
      runDir: tempDir('tune-fill-lib'),
    });
    const report = await tune({ config, fillOnly: true, fillBudget: 500, grid: { concurrency: [2, 8] }, scratchPrefix: 'tfl', warmup: false });
    expectSaneFill(report, 500, [2, 8]);
    expect(engram.store.count('tfl-fill')).toBe(500);
  });

  it('refuses a fill budget over a space’s capacity, naming the option', async () => {
    const config = resolveConfig({
      source: { uri: testNeo4jUri(), labels: [LABEL] },
      target: { kind: 'engram', url: engram.url, capacityPerSpace: 1_000 },
      runDir: tempDir('tune-fill-cap'),
    });
    await expect(tune({ config, fillOnly: true, fillBudget: 5_000, warmup: false })).rejects.toThrow(/tune\.fillBudget.*capacity 1000, got 5000/);
    await expect(tune({ config, fillOnly: true, dryRun: true, warmup: false })).rejects.toThrow(/tune\.fillOnly.*cannot run with --dry-run/);
  });
});

describeRealEngram('tune fill curve against the real Engram server', () => {
  let engram: RealEngram;
  beforeAll(async () => {
    engram = await startRealEngram();
  });
  afterAll(async () => {
    await engram?.stop();
  });

  it('measures writes/s over 600 memories into one scratch space, fits the model and projects 10M nodes', async () => {
    const config = resolveConfig({
      source: { uri: testNeo4jUri(), labels: [LABEL] },
      target: { kind: 'engram', url: engram.url },
      runDir: tempDir('tune-fill-real'),
    });
    const report = await tune({ config, fillOnly: true, fillBudget: 600, grid: { concurrency: [4, 16] }, scratchPrefix: 'tfr', warmup: false });
    const fill = expectSaneFill(report, 600, [4, 16]);
    // Every synthetic memory is distinct (random vectors), so the server kept them all under their ids.
    const client = new EngramClient({ url: engram.url, maxRetries: 2 });
    try {
      expect(await client.spaceCount(fill.space)).toBe(600);
      expect(await client.getMemory(fill.space, 'tune-fill-599')).not.toBeNull();
    } finally {
      await client.close();
    }
    expect(report.notes.join(' ')).toContain('tfr-fill');
  });
});
