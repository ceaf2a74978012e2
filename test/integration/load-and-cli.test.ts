import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { loadBundle } from '../../src/engine/load-bundle.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { driverFor, loadFixtureGraph, tempDir, testConfig } from '../helpers/backfill-fixture.js';
import type { ResolvedConfig } from '../../src/config/config-schema.js';

let driver: Driver;
let graph: { nodes: number; relationships: number };
let bundleConfig: ResolvedConfig;
let engram: EngramDouble;

/** Runs the CLI without blocking this process (the Engram double serves from it). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args], { env: { ...process.env, ...env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  driver = driverFor();
  graph = await loadFixtureGraph(driver, 600, 31, false);
  bundleConfig = testConfig();
  const summary = await backfill({ config: bundleConfig });
  expect(summary.status).toBe('completed');
  engram = await startEngramDouble({ faults: { seed: 3, errorRates: { 503: 0.03 } } });
});

afterAll(async () => {
  await engram?.stop();
  await driver?.close();
});

describe('load: a bundle replayed into Engram', () => {
  it('sends every memory, through injected 503s, and resumes without resending what was acknowledged', async () => {
    const config = testConfig({ target: { kind: 'engram', url: engram.url, retryBaseMs: 20, retryMaxMs: 200 }, engine: { batchSize: 100 } });
    const stop = new AbortController();
    let batches = 0;
    const first = await loadBundle({
      bundleDir: bundleConfig.target.path,
      config,
      signal: stop.signal,
      onProgress: () => void (++batches === 2 && stop.abort()),
    });
    expect(first.status).toBe('aborted');
    expect(first.loaded).toBe(200);
    const second = await loadBundle({ bundleDir: bundleConfig.target.path, config, resume: true });
    expect(second.status).toBe('completed');
    expect(second.loaded).toBe(graph.nodes);
    expect(second.edgesNotLoaded).toBe(graph.relationships);
    const w = engram.stats.writes;
    expect(w.stored + w.deduplicated).toBe(graph.nodes);
    expect(engram.stats.injected.errors['503'] ?? 0).toBeGreaterThan(0);
  });

  it('refuses a bundle whose files do not match the manifest', async () => {
    const dir = tempDir('bad-bundle');
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        format: 'engram-migrate-bundle',
        version: 1,
        spaces: { person: { file: 'memories/person.ndjson', count: 1, bytes: 1, sha256: 'x' } },
        edges: { file: 'edges.ndjson', count: 0, bytes: 0, sha256: 'y' },
      }),
    );
    const config = testConfig({ target: { kind: 'engram', url: engram.url } });
    await expect(loadBundle({ bundleDir: dir, config })).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
  });
});

describe('the CLI', () => {
  it('prints help with the exit codes, and its version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/backfill/);
    expect(help.stdout).toMatch(/130 +interrupted/);
    expect((await cli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 naming the option for a bad flag value or a bad config file key', async () => {
    const bad = await cli(['backfill', '--batch-size', 'ten']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--batch-size/);
    const file = join(tempDir('cfg'), 'c.yaml');
    writeFileSync(file, 'engine:\n  batchsize: 5\n');
    const typo = await cli(['backfill', '--config', file]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/engine\.batchsize: unknown option/);
  });

  it('exits 3 when Neo4j cannot be reached', async () => {
    const r = await cli(['backfill', '--dry-run', '--json', '--neo4j-uri', 'bolt://127.0.0.1:1', '--run-dir', tempDir('run')]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error.code).toBe('SOURCE_UNAVAILABLE');
  });

  it('dry run with --json reports what it would write, from environment variables, and writes nothing', async () => {
    const runDir = tempDir('run');
    const bundle = tempDir('bundle');
    const r = await cli(['backfill', '--dry-run', '--json', '--bundle', bundle, '--run-dir', runDir, '--pause-ms', '0'], {
      NEO4J_URI: bundleConfig.source.uri,
    });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('dry-run');
    expect(summary.counters.nodesRead).toBe(graph.nodes);
    expect(summary.counters.memoriesWritten).toBe(graph.nodes);
    expect(readdirSync(bundle)).toEqual([]);
    expect(readdirSync(runDir)).toEqual([]);
  });

  it('refuses to start when a space would overflow the target capacity (exit 5), and goes on with --on-overflow warn', async () => {
    const args = ['backfill', '--json', '--target', 'engram', '--engram-url', engram.url, '--pause-ms', '0', '--neo4j-uri', bundleConfig.source.uri];
    const file = join(tempDir('cfg'), 'c.json');
    // Shard counts pinned at 1: otherwise a label past 0.8 × 100 nodes is sharded instead (below).
    writeFileSync(file, JSON.stringify({ target: { capacityPerSpace: 100 }, mapping: { shards: { Person: 1, Document: 1, Topic: 1, Organization: 1 } } }));
    const refused = await cli([...args, '--config', file, '--run-dir', tempDir('run')]);
    expect(refused.code).toBe(5);
    expect(JSON.parse(refused.stdout).error.code).toBe('CAPACITY_EXCEEDED');
    const warned = await cli([...args, '--config', file, '--run-dir', tempDir('run'), '--dry-run', '--on-overflow', 'warn']);
    expect(warned.code).toBe(0);
    expect(JSON.parse(warned.stdout).warnings.join('\n')).toMatch(/would hold .* but the target keeps at most 100/);
  });

  it('shards a label too big for one space instead of refusing, and shows the layout in the dry run', async () => {
    const file = join(tempDir('cfg'), 'c.json');
    writeFileSync(file, JSON.stringify({ target: { capacityPerSpace: 100 } }));
    const run = await cli([
      'backfill',
      '--json',
      '--dry-run',
      '--target',
      'engram',
      '--engram-url',
      engram.url,
      '--neo4j-uri',
      bundleConfig.source.uri,
      '--config',
      file,
      '--run-dir',
      tempDir('run'),
    ]);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout).plan as {
      labels: Array<{ label: string; space: string; nodes: number; shards: number }>;
      spaces: Array<{ space: string; planned: number; overflow: boolean }>;
    };
    const sharded = plan.labels.filter((l) => l.nodes > 80);
    expect(sharded.length).toBeGreaterThan(0);
    for (const l of sharded) expect(l.shards).toBe(Math.ceil(l.nodes / 80));
    expect(plan.spaces.map((s) => s.space)).toContain(`${sharded[0]!.space}-0`);
    expect(plan.spaces.every((s) => !s.overflow && s.planned <= 80)).toBe(true);
  });
});
