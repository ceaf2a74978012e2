/**
 * Validation benchmark (issue 4):
 *   cosine   comparisons per second of the pool (one task per worker over shared Float32Arrays) against a
 *            single-thread tight loop over the same buffers, in the same run; the ratio is what the pool buys
 *            on this machine (the loop reads 6 KB per comparison: memory bandwidth is the limit)
 *   sweep    wall time of a validation sweep of 100k sampled nodes (a census of the BenchDoc graph) against
 *            the bundle and against the Engram double (spawned as its own process), with the phase breakdown
 *
 *   npx tsc -p tsconfig.json && node dist/bench/validate.js [--nodes 100000] [--rows 100000] [--port 7730]
 *     [--no-engram] [--no-sweep]
 * Prints a table and one JSON line; writes bench/results/validate.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../src/config/resolve-config.js';
import { backfill } from '../src/engine/backfill.js';
import { WorkerPool } from '../src/engine/worker-pool.js';
import { sharedFloat32 } from '../src/shared/shared-memory.js';
import { installNeo4j, isPortInUse, startNeo4j } from '../src/sample/neo4j-server.js';
import { cosineRows } from '../src/shared/cosine.js';
import { poolCosine } from '../src/validate/pool-vectors.js';
import { seededUniform } from '../src/validate/selection-sampler.js';
import { validate } from '../src/validate/validate.js';
import { spawnEngramDouble } from '../test/helpers/engram-double/index.js';
import { benchDriver, ensureBenchGraph } from './bench-graph.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100000' },
    rows: { type: 'string', default: '100000' },
    port: { type: 'string', default: '7730' },
    workers: { type: 'string', default: '2' },
    'no-engram': { type: 'boolean', default: false },
    'no-sweep': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/validate.json' },
  },
});

const D = 768;
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const seconds = (t0: number): number => Number(((performance.now() - t0) / 1000).toFixed(2));

/** Best of `runs` timings of `work`, in seconds. */
async function best(runs: number, work: () => Promise<void> | void): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await work();
    min = Math.min(min, (performance.now() - t0) / 1000);
  }
  return min;
}

async function benchCosine(rows: number, workers: number): Promise<Record<string, number>> {
  const a = sharedFloat32(rows * D);
  const b = sharedFloat32(rows * D);
  const next = seededUniform(7);
  for (let i = 0; i < a.length; i++) {
    a[i] = next() - 0.5;
    b[i] = a[i]! + 0.01 * (next() - 0.5);
  }
  const single = sharedFloat32(rows);
  const pooled = sharedFloat32(rows);
  const pool = new WorkerPool({ workers, inferenceThreads: 1 }, null);
  try {
    await poolCosine(pool, a, b, rows, pooled); // warm-up: threads started, code compiled
    cosineRows(a, b, D, 0, Math.min(rows, 10_000), single);
    // Interleaved, so both see the same machine load.
    let loop = Infinity;
    let inPool = Infinity;
    for (let i = 0; i < 5; i++) {
      loop = Math.min(loop, await best(1, () => cosineRows(a, b, D, 0, rows, single)));
      inPool = Math.min(inPool, await best(1, () => poolCosine(pool, a, b, rows, pooled)));
    }
    for (let i = 0; i < rows; i++) if (Math.abs(single[i]! - pooled[i]!) > 1e-6) throw new Error(`pool and loop disagree at row ${i}`);
    const singlePerSecond = Math.round(rows / loop);
    const poolPerSecond = Math.round(rows / inPool);
    return {
      rows,
      workers,
      singlePerSecond,
      poolPerSecond,
      ratio: Number((poolPerSecond / singlePerSecond).toFixed(2)),
      singleGBps: Number(((rows * D * 8) / loop / 1e9).toFixed(2)),
    };
  } finally {
    await pool.close();
  }
}

async function sweep(
  uri: string,
  label: string,
  nodes: number,
  target: { kind: 'bundle' } | { kind: 'engram'; url: string },
): Promise<Record<string, unknown>> {
  const config = resolveConfig({
    source: { uri, labels: [label] },
    target: target.kind === 'bundle' ? { kind: 'bundle', path: mkdtempSync(join(tmpdir(), 'bench-vbundle-')) } : { kind: 'engram', url: target.url },
    // Setup only (not measured). One batch in flight per reader keeps the engine within piscina's bounded
    // queue: with the defaults a slow target (the double) let readers × batches × slices overflow it.
    engine: { batchSize: 10_000, pauseMs: 0, edges: false, maxInflightBatches: 1 },
    model: { path: './models/tiny' },
    runDir: mkdtempSync(join(tmpdir(), 'bench-vrun-')),
  });
  log(`  backfill ${nodes} nodes into ${target.kind} (setup, not measured)`);
  const t0 = performance.now();
  const summary = await backfill({ config });
  if (summary.status !== 'completed') throw new Error(`backfill ${summary.status}: ${summary.error?.message ?? ''}`);
  log(`    ${summary.counters.memoriesWritten} memories in ${seconds(t0)} s`);
  const result: Record<string, unknown> = { target: target.kind };
  try {
    await sweepSizes(config, nodes, target.kind, result);
  } finally {
    rmSync(config.runDir, { recursive: true, force: true });
    if (target.kind === 'bundle') rmSync(config.target.path, { recursive: true, force: true });
  }
  return result;
}

async function sweepSizes(config: ReturnType<typeof resolveConfig>, nodes: number, kind: string, result: Record<string, unknown>): Promise<void> {
  for (const size of [1000, nodes]) {
    const t0 = performance.now();
    const report = await validate({ config, sampleSize: size });
    const s = seconds(t0);
    if (!report.passed) throw new Error(`sweep of ${size} found faults: ${JSON.stringify(report.faultsByKind)}`);
    log(`  sweep of ${report.sample.sampled} sampled nodes against ${kind}: ${s} s (${JSON.stringify(report.timings)})`);
    result[size === nodes ? 'full' : 'default'] = {
      sampled: report.sample.sampled,
      seconds: s,
      nodesPerSecond: Math.round(report.sample.sampled / s),
      timings: report.timings,
    };
  }
}

async function main(): Promise<void> {
  const port = Number(values.port);
  const nodes = Number(values.nodes);
  // Other processes share the two cores: the 1-minute load average tells how much of them this run had.
  const results: Record<string, unknown> = { bench: 'validate', at: new Date().toISOString(), loadAverage: loadavg()[0] };
  log(`cosine: ${values.rows} rows of 768, pool of ${values.workers} vs one thread`);
  const cosine = await benchCosine(Number(values.rows), Number(values.workers));
  results.cosine = cosine;
  log(`  single thread ${cosine.singlePerSecond}/s (${cosine.singleGBps} GB/s read), pool ${cosine.poolPerSecond}/s: ×${cosine.ratio} (target ≥ 1.5)`);
  if (!values['no-sweep']) {
    await installNeo4j({ log });
    const server = (await isPortInUse(port))
      ? null
      : await startNeo4j({ port, dataDir: resolve('.runs/neo4j-validate-bench'), auth: false, heap: '3g', pageCache: '2g' });
    const uri = `bolt://127.0.0.1:${port}`;
    const double = values['no-engram'] ? null : await spawnEngramDouble({});
    try {
      const driver = benchDriver(uri);
      const spec = { label: 'BenchDoc', nodes, missing: 0, seed: 1 };
      await ensureBenchGraph(driver, spec, log);
      await driver.close();
      results.sweepBundle = await sweep(uri, spec.label, nodes, { kind: 'bundle' });
      if (double) results.sweepEngram = await sweep(uri, spec.label, nodes, { kind: 'engram', url: double.url });
    } finally {
      await double?.stop();
      await server?.stop();
    }
  }
  const full = (r: unknown): string => {
    const f = (r as { full?: { seconds: number } } | undefined)?.full;
    return f ? `${f.seconds} s` : '-';
  };
  console.log(`load average at start ${(results.loadAverage as number).toFixed(2)} (2 cores)`);
  console.log(`cosine/s  one thread ${cosine.singlePerSecond}  pool ${cosine.poolPerSecond}  ×${cosine.ratio} (target ≥ 1.5)`);
  console.log(`${nodes}-node sweep  bundle ${full(results.sweepBundle)} (target < 60 s)  engram double ${full(results.sweepEngram)}`);
  mkdirSync(resolve(values.out, '..'), { recursive: true });
  writeFileSync(values.out, JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results));
}

await main();
