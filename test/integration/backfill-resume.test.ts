import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import type { Checkpoint } from '../../src/engine/checkpoint-store.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { driverFor, keyedNodes, loadFixtureGraph, readBundleMemories, readNdjson, testConfig } from '../helpers/backfill-fixture.js';
import type { ResolvedConfig } from '../../src/config/config-schema.js';

const NODES = 1_500;
let driver: Driver;
let graph: { nodes: number; relationships: number };

beforeAll(async () => {
  driver = driverFor();
  graph = await loadFixtureGraph(driver, NODES, 23, false);
});

afterAll(async () => {
  await driver?.close();
});

function readCheckpoint(runDir: string): Checkpoint | null {
  const path = join(runDir, 'checkpoint.json');
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  } catch {
    return null; // caught mid-rename; the next poll sees it
  }
}

/** Runs the CLI as its own process and SIGKILLs it once `when` holds for its checkpoint. */
async function killDuring(config: ResolvedConfig, extraArgs: string[], when: (cp: Checkpoint) => boolean): Promise<Checkpoint> {
  const keys = Object.entries(config.mapping.keys).map(([label, key]) => `${label}=${[key].flat().join('+')}`);
  const args = [
    'dist/src/cli/main.js',
    'backfill',
    '--quiet',
    '--neo4j-uri',
    config.source.uri,
    '--run-dir',
    config.runDir,
    '--batch-size',
    String(config.engine.batchSize),
    '--pause-ms',
    '30',
    '--workers',
    '2',
    '--inference-threads',
    '1',
    '--keys',
    keys.join(','),
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (;;) {
    const cp = readCheckpoint(config.runDir);
    if (cp && when(cp)) {
      child.kill('SIGKILL');
      await exited;
      return readCheckpoint(config.runDir)!;
    }
    const done = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20))]);
    if (done) throw new Error(`the backfill ended before the kill point: ${stderr}`);
  }
}

describe('resume after kill -9', () => {
  it.each([
    ['after the first node batch', (cp: Checkpoint) => cp.counters.memoriesWritten > 0],
    ['in the middle of the nodes', (cp: Checkpoint) => cp.counters.memoriesWritten >= 700],
    ['in the middle of the edges', (cp: Checkpoint) => cp.counters.edgesWritten >= 2_000],
  ])('bundle target, killed %s: no loss, no duplicates', async (_name, when) => {
    const config = testConfig({ engine: { batchSize: 100, edgeBatchSize: 100 } });
    const killedAt = await killDuring(config, ['--bundle', config.target.path], when);
    expect(killedAt.done).toBe(false);
    const summary = await backfill({ config, resume: true });
    expect(summary.error).toBeNull();
    expect(summary.resumed).toBe(true);
    expect(summary.counters.nodesRead).toBe(graph.nodes);
    expect(summary.counters.memoriesWritten).toBe(graph.nodes);
    expect(summary.counters.edgesWritten).toBe(graph.relationships);
    const lines = readBundleMemories(config.target.path);
    const keys = lines.map((l) => `${l.label}:${l.id}`);
    expect(keys.length).toBe(graph.nodes);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...new Set(keys)].sort()).toEqual([...(await keyedNodes(driver)).keys()].sort());
    const edges = readNdjson<{ source: string; target: string; type: string }>(join(config.target.path, 'edges.ndjson'));
    expect(edges.length).toBe(graph.relationships);
    expect(new Set(edges.map((e) => `${e.source}-${e.type}->${e.target}`)).size).toBe(graph.relationships);
  });

  describe('Engram target', () => {
    let engram: EngramDouble;
    afterAll(async () => {
      await engram?.stop();
    });

    it('killed mid-nodes, resumed: every memory acknowledged exactly once per id, none lost', async () => {
      engram = await startEngramDouble();
      const config = testConfig({ target: { kind: 'engram', url: engram.url }, engine: { batchSize: 100 } });
      await killDuring(config, ['--target', 'engram', '--engram-url', engram.url], (cp) => cp.counters.memoriesWritten >= 500);
      const summary = await backfill({ config, resume: true });
      expect(summary.error).toBeNull();
      expect(summary.counters.memoriesWritten).toBe(graph.nodes);
      const w = engram.stats.writes;
      // Batches in flight at the kill are sent again: the server answers those as no-ops (same id, same vector).
      expect(w.stored + w.deduplicated).toBe(graph.nodes);
      const ids = new Set(engram.store.spaces().flatMap((s: string) => engram.store.list(s, false).map((m: { id: string }) => `${s}:${m.id}`)));
      expect(ids.size).toBe(w.stored);
      expect(readNdjson(join(config.runDir, 'edges.ndjson')).length).toBe(graph.relationships);
    });
  });
});
