/**
 * The benchmark suite (`npm run bench`, which builds first): runs the backfill, validation and embedding
 * benchmarks, each in its own process with small default sizes (about 10-15 minutes on 2 cores), and writes
 * bench/results/summary.json and bench/results/summary.md, where every figure is a ratio against a
 * baseline measured in the same run (see bench/README.md). One Neo4j serves both graph benchmarks.
 *
 *   npm run bench -- [--nodes 20000] [--missing-nodes 500] [--rows 50000] [--texts 64] [--port 7750]
 *     [--only backfill,validate,embedding]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installNeo4j, isPortInUse, startNeo4j } from '../src/sample/neo4j-server.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20000' },
    'missing-nodes': { type: 'string', default: '500' },
    rows: { type: 'string', default: '50000' },
    texts: { type: 'string', default: '64' },
    port: { type: 'string', default: '7750' },
    only: { type: 'string', default: 'backfill,validate,embedding' },
    dir: { type: 'string', default: 'bench/results' },
  },
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);

type RunStatus = { seconds: number; ok: boolean; error: string | null; attempts: number };

/** Runs one benchmark in its own process; a failed one is run once more (a shared machine has hiccups). */
function runBench(name: string, args: string[]): RunStatus {
  const t0 = performance.now();
  let error: string | null = null;
  for (let attempt = 1; attempt <= 2; attempt++) {
    log(`\n=== ${name}${attempt > 1 ? ' (second attempt)' : ''}: node dist/bench/${name}.js ${args.join(' ')}`);
    try {
      execFileSync(process.execPath, [`dist/bench/${name}.js`, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
      return { seconds: Number(((performance.now() - t0) / 1000).toFixed(1)), ok: true, error: null, attempts: attempt };
    } catch (err) {
      error = (err as Error).message.split('\n')[0] ?? 'failed';
    }
  }
  return { seconds: Number(((performance.now() - t0) / 1000).toFixed(1)), ok: false, error, attempts: 2 };
}

function readResult(path: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** One figure of the summary: a measured value and the same run's baseline it is divided by. */
interface Figure {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number | null;
  ratio: number | null;
  /** Minimum ratio the project aims for, when it has one. */
  target: number | null;
  met: boolean | null;
}

interface BenchResults {
  backfill: Record<string, unknown> | null;
  validate: Record<string, unknown> | null;
  embedding: Record<string, unknown> | null;
}

interface BackfillRow {
  label: string;
  variant: string;
  target: string;
  nodesPerSecond: number;
  peakRssMb: number;
  busyShare?: number | null;
}

function figure(
  bench: string,
  name: string,
  value: number,
  unit: string,
  baseline: string,
  baselineValue: number | null,
  target: number | null = null,
): Figure {
  const ratio = baselineValue !== null && baselineValue > 0 ? Number((value / baselineValue).toFixed(3)) : null;
  return { bench, figure: name, value, unit, baseline, baselineValue, ratio, target, met: target === null || ratio === null ? null : ratio >= target };
}

function backfillFigures(result: Record<string, unknown>): Figure[] {
  const rows = (result.rows ?? []) as BackfillRow[];
  const find = (label: string, variant: string, target: string): BackfillRow | undefined =>
    rows.find((r) => r.label === label && r.variant === variant && r.target === target);
  const out: Figure[] = [];
  for (const label of [...new Set(rows.map((r) => r.label))]) {
    const raw = find(label, 'raw', 'none')?.nodesPerSecond ?? null;
    for (const target of ['bundle', 'engram']) {
      const engine = find(label, 'engine', target);
      if (!engine) continue;
      const seed = find(label, 'seed', target);
      const name = `${label} engine → ${target}`;
      if (target === 'bundle')
        out.push(
          figure('backfill', `${name} nodes/s`, engine.nodesPerSecond, 'nodes/s', 'raw keyset read of the same graph', raw, label === 'BenchDoc' ? 0.7 : null),
        );
      out.push(
        figure(
          'backfill',
          `${name} nodes/s`,
          engine.nodesPerSecond,
          'nodes/s',
          `article's loop (seed script) → ${target}`,
          seed?.nodesPerSecond ?? null,
          label === 'BenchDoc' && target === 'bundle' ? 5 : null,
        ),
      );
      out.push(figure('backfill', `${name} peak RSS`, engine.peakRssMb, 'MB', `seed script → ${target} peak RSS`, seed?.peakRssMb ?? null));
    }
    const local = find(label, 'engine', 'bundle');
    const remote = find(label, 'engine-openai', 'bundle');
    if (local?.busyShare != null)
      out.push(figure('backfill', `${label} engine → bundle pool busy share`, local.busyShare, 'share', 'every thread busy', 1, 0.9));
    if (remote)
      out.push(
        figure(
          'backfill',
          `${label} engine (openai double) → bundle nodes/s`,
          remote.nodesPerSecond,
          'nodes/s',
          'the same engine generating locally',
          local?.nodesPerSecond ?? null,
        ),
      );
  }
  return out;
}

function validateFigures(result: Record<string, unknown>, rawRead: number | null): Figure[] {
  const out: Figure[] = [];
  const cosine = result.cosine as { poolPerSecond: number; singlePerSecond: number } | undefined;
  if (cosine)
    out.push(
      figure(
        'validate',
        'cosine comparisons/s, pool',
        cosine.poolPerSecond,
        'comparisons/s',
        'one-thread loop over the same buffers',
        cosine.singlePerSecond,
        1.5,
      ),
    );
  type Sweep = { full?: { sampled: number; seconds: number; nodesPerSecond: number } };
  const bundle = (result.sweepBundle as Sweep | undefined)?.full;
  const engram = (result.sweepEngram as Sweep | undefined)?.full;
  if (bundle)
    out.push(
      figure(
        'validate',
        `full sweep (${bundle.sampled} nodes) vs bundle, nodes/s`,
        bundle.nodesPerSecond,
        'nodes/s',
        'raw keyset read of the same graph (backfill bench)',
        rawRead,
      ),
    );
  if (engram)
    out.push(
      figure(
        'validate',
        `full sweep (${engram.sampled} nodes) vs Engram double, nodes/s`,
        engram.nodesPerSecond,
        'nodes/s',
        'the same sweep against the bundle',
        bundle?.nodesPerSecond ?? null,
      ),
    );
  return out;
}

function embeddingFigures(result: Record<string, unknown>): Figure[] {
  const rows = (result.rows ?? []) as Array<{ layout: string; poolTextsPerSecond: number; ortTextsPerSecond: number }>;
  const out = rows.map((r) =>
    figure(
      'embedding',
      `pool ${r.layout} (workers×threads) texts/s`,
      r.poolTextsPerSecond,
      'texts/s',
      `ONNX Runtime alone ${r.layout} (sessions×threads)`,
      r.ortTextsPerSecond,
      0.85,
    ),
  );
  const s = result.summary as { bestPool: number; bestOrt: number } | undefined;
  if (s) out.push(figure('embedding', 'best pool layout texts/s', s.bestPool, 'texts/s', 'best ONNX Runtime alone layout', s.bestOrt, 0.85));
  return out;
}

/** Every figure of the run, each divided by its in-run baseline. */
function summaryFigures(results: BenchResults): Figure[] {
  const rows = (results.backfill?.rows ?? []) as BackfillRow[];
  const rawRead = rows.find((r) => r.label === 'BenchDoc' && r.variant === 'raw')?.nodesPerSecond ?? null;
  return [
    ...(results.backfill ? backfillFigures(results.backfill) : []),
    ...(results.validate ? validateFigures(results.validate, rawRead) : []),
    ...(results.embedding ? embeddingFigures(results.embedding) : []),
  ];
}

function summaryMarkdown(summary: {
  at: string;
  machine: Record<string, unknown>;
  settings: Record<string, number>;
  runs: Record<string, RunStatus>;
  figures: Figure[];
}): string {
  const m = summary.machine as { cores: number; cpu: string; memoryGb: number; loadAverage: { before: number; after: number } };
  const lines = [
    `# Benchmark summary (${summary.at})`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GiB; 1-minute load average ${m.loadAverage.before} at the start, ${m.loadAverage.after} at the end.`,
    `Sizes: ${Object.entries(summary.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `Runs: ${Object.entries(summary.runs)
      .map(([k, r]) => `${k} ${r.ok ? 'ok' : `FAILED (${r.error})`}${r.attempts > 1 ? ' on the second attempt' : ''} in ${r.seconds} s`)
      .join('; ')}.`,
    '',
    '| bench | figure | value | baseline (same run) | baseline value | ratio | target |',
    '|---|---|---:|---|---:|---:|---|',
  ];
  for (const f of summary.figures) {
    const target = f.target === null ? '' : `≥ ${f.target}${f.met === null ? '' : f.met ? ' ✓' : ' ✗'}`;
    lines.push(`| ${f.bench} | ${f.figure} | ${f.value} ${f.unit} | ${f.baseline} | ${f.baselineValue ?? '-'} | ${f.ratio ?? '-'} | ${target} |`);
  }
  lines.push('', 'Read each ratio as "how many times its baseline"; see bench/README.md.');
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const only = new Set(values.only.split(','));
  const dir = values.dir;
  mkdirSync(dir, { recursive: true });
  // Each suite run writes its benchmarks' files into a folder of its own: others may be running a
  // benchmark in the same checkout, whose default output files would otherwise mix into this summary.
  const own = mkdtempSync(join(dir, 'suite-'));
  const port = values.port;
  const load = { before: loadavg()[0]! };
  const graph = only.has('backfill') || only.has('validate');
  await installNeo4j({ log });
  const server =
    graph && !(await isPortInUse(Number(port)))
      ? await startNeo4j({ port: Number(port), dataDir: resolve('.runs/neo4j-bench-suite'), auth: false, heap: '3g', pageCache: '2g' })
      : null;
  const runs: Record<string, RunStatus> = {};
  try {
    if (only.has('backfill'))
      runs.backfill = runBench('backfill', [
        '--nodes',
        values.nodes,
        '--missing-nodes',
        values['missing-nodes'],
        '--port',
        port,
        '--out',
        `${own}/backfill.json`,
      ]);
    if (only.has('validate'))
      runs.validate = runBench('validate', ['--nodes', values.nodes, '--rows', values.rows, '--port', port, '--out', `${own}/validate.json`]);
  } finally {
    await server?.stop();
  }
  if (only.has('embedding')) runs.embedding = runBench('embedding', ['--texts', values.texts, '--rounds', '3', '--out', `${own}/embedding.json`]);
  const results: BenchResults = {
    backfill: only.has('backfill') ? readResult(`${own}/backfill.json`) : null,
    validate: only.has('validate') ? readResult(`${own}/validate.json`) : null,
    embedding: only.has('embedding') ? readResult(`${own}/embedding.json`) : null,
  };
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAverage: { before: Number(load.before.toFixed(2)), after: Number(loadavg()[0]!.toFixed(2)) },
  };
  const settings = { nodes: Number(values.nodes), missingNodes: Number(values['missing-nodes']), rows: Number(values.rows), texts: Number(values.texts) };
  const figures = summaryFigures(results);
  const summary = { bench: 'summary', at: new Date().toISOString(), machine, settings, runs, files: own, figures };
  writeFileSync(`${dir}/summary.json`, JSON.stringify(summary, null, 2));
  writeFileSync(`${dir}/summary.md`, summaryMarkdown(summary));
  log(`\n${summaryMarkdown(summary)}`);
  log(`wrote ${dir}/summary.json and ${dir}/summary.md`);
  if (Object.values(runs).some((r) => !r.ok)) process.exitCode = 1;
}

await main();
