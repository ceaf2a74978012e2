/**
 * Backfill benchmark (issue 3). On a real Neo4j with a generated graph, measures nodes/s of:
 *   raw     the engine's own keyset stream, decoded and discarded (the ceiling of one reader)
 *   engine  engram-migrate's backfill (pool, limiter, checkpoints), into the bundle and into the Engram double
 *   seed    the article's loop as a script: SKIP/LIMIT pages, mapping and generation on the main thread,
 *           one awaited write per batch (per memory for Engram, which has no batch route)
 * and prints each as a ratio to raw and to seed, measured side by side in one run, with peak RSS per
 * variant (each runs in its own process). A second graph with 20% of embeddings missing adds the
 * generation cost, and runs it twice: generating in the pool's workers, and through model.provider openai
 * against the embeddings double running the same model in its own process (bench/embeddings-server.ts);
 * both validated afterwards (a sample of --validate-sample nodes, not timed), each with the pool's busy share.
 *
 *   npm run build && node dist/bench/backfill.js [--nodes 100000] [--missing-nodes 5000]
 *     [--model ./models/bench] [--dtype fp32|q8] [--readers 0] [--batch-size 10000] [--port 7720] [--no-engram] [--no-seed] [--no-remote] [--validate-sample 200]
 * (--missing-nodes 0 skips the generation case)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureModel, MODEL_PRESETS } from '../src/embed/ensure-model.js';
import { installNeo4j, isPortInUse, startNeo4j } from '../src/sample/neo4j-server.js';
import { spawnEngramDouble } from '../test/helpers/engram-double/index.js';
import { benchDriver, ensureBenchGraph } from './bench-graph.js';
import { spawnEmbeddingsServer } from './embeddings-server.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100000' },
    'missing-nodes': { type: 'string', default: '5000' },
    model: { type: 'string', default: './models/bench' },
    dtype: { type: 'string', default: 'fp32' },
    readers: { type: 'string', default: '0' },
    'batch-size': { type: 'string', default: '10000' },
    port: { type: 'string', default: '7720' },
    'no-engram': { type: 'boolean', default: false },
    'no-seed': { type: 'boolean', default: false },
    'no-remote': { type: 'boolean', default: false },
    'validate-sample': { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/results/backfill.json' },
  },
});

export interface VariantResult {
  variant: string;
  target: string;
  nodes: number;
  seconds: number;
  nodesPerSecond: number;
  peakRssMb: number;
  /** engine: the worker pool's busy share while it had tasks (summary.pool.busyShare). */
  busyShare?: number | null;
  validation?: { passed: boolean; sampled: number; failed: string[]; seconds: number };
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Empties the double between variants. A fresh connection each time: a pooled keep-alive socket may
 * have been closed by the double while the last variant ran. */
async function resetDouble(url: string): Promise<void> {
  const response = await fetch(`${url}/__double/reset`, { method: 'POST', headers: { connection: 'close' } });
  if (!response.ok) throw new Error(`resetting the Engram double answered ${response.status}`);
}

function runVariant(variant: string, options: Record<string, unknown>): VariantResult {
  log(`  ${variant} → ${String(options.target)} (${String(options.label)})`);
  const out = execFileSync(process.execPath, ['--max-semi-space-size=64', 'dist/bench/backfill-variant.js', variant, JSON.stringify(options)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  const result = JSON.parse(out.trim().split('\n').pop()!) as VariantResult;
  const busy = result.busyShare != null ? `, pool busy ${(result.busyShare * 100).toFixed(0)}%` : '';
  const valid = result.validation ? `, validation ${result.validation.passed ? 'passed' : `FAILED (${result.validation.failed.join(', ')})`}` : '';
  log(`    ${result.nodes} nodes in ${result.seconds} s = ${result.nodesPerSecond}/s, peak RSS ${result.peakRssMb} MB${busy}${valid} (load average ${load()})`);
  return result;
}

async function main(): Promise<void> {
  const port = Number(values.port);
  const batchSize = Number(values['batch-size']);
  const model = values.model;
  if (resolve(model) === resolve('models/bench')) await ensureModel(resolve('models/bench'), MODEL_PRESETS.bench);
  await installNeo4j({ log });
  const server = (await isPortInUse(port)) ? null : await startNeo4j({ port, dataDir: resolve('.runs/neo4j-bench'), auth: false, heap: '3g', pageCache: '2g' });
  const uri = `bolt://127.0.0.1:${port}`;
  const double = values['no-engram'] ? null : await spawnEngramDouble({});
  const results: Record<string, VariantResult> = {};
  try {
    const driver = benchDriver(uri);
    const present = { label: 'BenchDoc', nodes: Number(values.nodes), missing: 0, seed: 1 };
    const missing = { label: 'BenchDocMissing', nodes: Number(values['missing-nodes']), missing: 0.2, seed: 2 };
    const specs = [present, missing].filter((s) => s.nodes > 0);
    let loadSeconds = 0;
    for (const spec of specs) loadSeconds += await ensureBenchGraph(driver, spec, log);
    await driver.close();
    for (const spec of specs) {
      const base = { uri, label: spec.label, batchSize, model, dtype: values.dtype, readers: Number(values.readers) };
      const key = (v: string, t: string): string => `${spec.label}:${v}:${t}`;
      log(`${spec.label}: ${spec.nodes} nodes, ${spec.missing * 100}% without embedding`);
      results[key('raw', 'none')] = runVariant('raw', { ...base, target: 'none' });
      const validateSample = spec.missing > 0 ? Number(values['validate-sample']) : 0;
      results[key('engine', 'bundle')] = runVariant('engine', { ...base, target: 'bundle', validateSample });
      if (spec.missing > 0 && !values['no-remote']) {
        // The same generation behind the OpenAI-compatible API: the double runs the same model in its own
        // process with every core's thread, so local and remote pay the same inference per text.
        const server = await spawnEmbeddingsServer({
          model,
          dtype: values.dtype === 'q8' ? 'q8' : 'fp32',
          threads: availableParallelism(),
          batch: 16,
          tokensPerBatch: 1024,
        });
        try {
          results[key('engine-openai', 'bundle')] = runVariant('engine', { ...base, target: 'bundle', validateSample, embeddingsUrl: server.url });
        } finally {
          await server.stop();
        }
      }
      if (!values['no-seed']) results[key('seed', 'bundle')] = runVariant('seed', { ...base, target: 'bundle' });
      if (double) {
        await resetDouble(double.url);
        results[key('engine', 'engram')] = runVariant('engine', { ...base, target: 'engram', engramUrl: double.url });
        await resetDouble(double.url);
        if (!values['no-seed']) results[key('seed', 'engram')] = runVariant('seed', { ...base, target: 'engram', engramUrl: double.url });
      }
    }
    const rate = (k: string): number | null => results[k]?.nodesPerSecond ?? null;
    const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? Number((a / b).toFixed(2)) : null);
    const rows = Object.entries(results).map(([k, r]) => {
      const [label, variant, target] = k.split(':') as [string, string, string];
      return {
        label,
        variant,
        target,
        nodesPerSecond: r.nodesPerSecond,
        seconds: r.seconds,
        peakRssMb: r.peakRssMb,
        busyShare: r.busyShare ?? null,
        vsRaw: ratio(r.nodesPerSecond, rate(`${label}:raw:none`)),
        vsSeed: ratio(r.nodesPerSecond, rate(`${label}:seed:${target}`)),
      };
    });
    console.log('label            variant        target  nodes/s  × raw  × seed  peak RSS MB  pool busy');
    for (const r of rows)
      console.log(
        `${r.label.padEnd(16)} ${r.variant.padEnd(14)} ${r.target.padEnd(7)} ${String(r.nodesPerSecond).padStart(7)}  ${String(r.vsRaw ?? '-').padStart(5)}  ${String(r.vsSeed ?? '-').padStart(6)}  ${String(r.peakRssMb).padStart(11)}  ${r.busyShare ?? '-'}`,
      );
    const targets = {
      engineVsRawBundle: ratio(rate('BenchDoc:engine:bundle'), rate('BenchDoc:raw:none')),
      engineVsSeedBundle: ratio(rate('BenchDoc:engine:bundle'), rate('BenchDoc:seed:bundle')),
      engineVsSeedEngram: ratio(rate('BenchDoc:engine:engram'), rate('BenchDoc:seed:engram')),
      openaiVsLocalMissing: ratio(rate('BenchDocMissing:engine-openai:bundle'), rate('BenchDocMissing:engine:bundle')),
      busyShareMissing: results['BenchDocMissing:engine:bundle']?.busyShare ?? null,
      busyShareMissingOpenai: results['BenchDocMissing:engine-openai:bundle']?.busyShare ?? null,
    };
    const validation = Object.fromEntries(Object.entries(results).flatMap(([k, r]) => (r.validation ? [[k, r.validation]] : [])));
    console.log(
      `targets (embeddings present): engine/raw ${targets.engineVsRawBundle} (≥ 0.70), engine/seed bundle ${targets.engineVsSeedBundle} (≥ 5), engine/seed engram ${targets.engineVsSeedEngram}`,
    );
    console.log(
      `20% missing: pool busy ${targets.busyShareMissing ?? '-'} local, ${targets.busyShareMissingOpenai ?? '-'} openai (target ≥ 0.9); openai double / local nodes/s ${targets.openaiVsLocalMissing ?? '-'}; validation ${Object.values(validation).every((v) => v.passed) ? 'passed' : 'FAILED'}; load average ${load()}`,
    );
    mkdirSync(resolve(values.out, '..'), { recursive: true });
    const result = { bench: 'backfill', at: new Date().toISOString(), loadSeconds, loadAverage: load(), rows, targets, validation };
    writeFileSync(values.out, JSON.stringify(result, null, 2));
    console.log(JSON.stringify({ bench: 'backfill', rows, targets, validation, loadAverage: result.loadAverage }));
  } finally {
    await double?.stop();
    await server?.stop();
  }
}

await main();
