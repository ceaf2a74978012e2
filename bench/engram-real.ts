/**
 * The backfill and `load` of a bundle into the REAL Engram server, against the server's own ceiling
 * measured in the same run: a minimal writer posting the same request bodies (read from the bundle,
 * byte for byte what the tool sends) at the best connection count, into the same spaces. Each variant
 * gets a fresh server (the server's total weighs on every space, so no variant inherits another's
 * memories) and runs in its own process (its own peak RSS). Unsharded and sharded side by side.
 *
 *   npm run bench:engram
 * Sizes by environment (small defaults, a few minutes): ENGRAM_BENCH_NODES (3000), ENGRAM_BENCH_SHARDS (2),
 * ENGRAM_BENCH_BATCH (250), ENGRAM_BENCH_CONCURRENCY (candidates, 4,16,32), ENGRAM_BENCH_STEPS (6),
 * ENGRAM_BENCH_NEO4J_PORT (7724; an instance already listening there is used as is), ENGRAM_BENCH_VARIANTS
 * (ceiling,backfill,load; backfill-plain: the backfill without the dedup predictor and the live stamp check),
 * ENGRAM_BENCH_LAYOUTS (unsharded,sharded).
 * Prints writes/s (wall and steady), ratios to the ceiling (target ≥ 0.90), writes/s per fill step,
 * peak RSS of the server (VmHWM) and of the tool, with os.loadavg(); writes bench/results/engram-real.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installNeo4j, isPortInUse, startNeo4j } from '../src/sample/neo4j-server.js';
import { shardSpaces } from '../src/mapping/shard.js';
import { EngramClient } from '../src/target/engram-client.js';
import { chooseConcurrency, curveFromEvents, fillSteps, fitFillModel, type FillPoint } from '../src/tune/fill-model.js';
import { syntheticMemory } from '../src/tune/fill-probe.js';
import { startRealEngram } from '../test/helpers/real-engram-server.js';
import { benchDriver, ensureBenchGraph } from './bench-graph.js';
import type { VariantOptions, VariantOutcome } from './engram-real-variant.js';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const NODES = Number(env('ENGRAM_BENCH_NODES', '3000'));
const SHARDS = Number(env('ENGRAM_BENCH_SHARDS', '2'));
const BATCH = Number(env('ENGRAM_BENCH_BATCH', '250'));
const CANDIDATES = env('ENGRAM_BENCH_CONCURRENCY', '4,16,32').split(',').map(Number);
const STEPS = Number(env('ENGRAM_BENCH_STEPS', '6'));
const PORT = Number(env('ENGRAM_BENCH_NEO4J_PORT', '7724'));
/** backfill-plain: the backfill with the dedup predictor and the live stamp check off (what they cost). */
const VARIANTS = env('ENGRAM_BENCH_VARIANTS', 'ceiling,backfill,load').split(',');
const LAYOUTS = env('ENGRAM_BENCH_LAYOUTS', 'unsharded,sharded').split(',');
const LABEL = 'EngramRealDoc';
const SPACE = 'benchreal';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Row {
  variant: string;
  layout: 'unsharded' | 'sharded';
  outcome: VariantOutcome;
  wallRate: number;
  steadyRate: number;
  serverPeakRssMb: number | null;
  /** Seconds of the one synthetic write that created each space before the variant (not in its figures). */
  createSeconds: number;
  curve: FillPoint[];
  loadAvg: string;
}

function runVariant(variant: string, options: VariantOptions): VariantOutcome {
  const out = execFileSync(process.execPath, ['dist/bench/engram-real-variant.js', variant, JSON.stringify(options)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  const outcome = JSON.parse(out.trim().split('\n').pop()!) as VariantOutcome;
  if (outcome.error) log(`  ${variant}: ${outcome.error}`);
  return outcome;
}

/** Peak resident set of a process (kB → MB), file-backed pages included: Engram maps ~3 GB per space. */
function vmHwmMb(pid: number): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** writes/s between the first and the last acknowledgement (the pipeline's start and the space's creation left out). */
function steady(o: VariantOutcome): number {
  const first = o.events[0];
  const last = o.events.at(-1);
  return first && last && last.atMs > first.atMs ? (last.done - first.done) / ((last.atMs - first.atMs) / 1000) : 0;
}

async function onFreshServer(variant: string, layout: Row['layout'], options: Omit<VariantOptions, 'engramUrl'>): Promise<Row> {
  const server = await startRealEngram({ readyTimeoutMs: 180_000 });
  try {
    log(`${variant} ${layout}: fresh server pid ${server.pid}, load ${load()}`);
    // A space's first write costs seconds (its creation): paid here, once per space, for every variant alike.
    const client = new EngramClient({ url: server.url, connections: 1 });
    const t = performance.now();
    const spaces = shardSpaces({ space: SPACE, shards: layout === 'sharded' ? SHARDS : 1 });
    for (const [i, space] of spaces.entries()) await client.remember(space, syntheticMemory(i, 'bench-create'));
    await client.close();
    const createSeconds = (performance.now() - t) / 1000;
    const outcome = runVariant(variant, { ...options, engramUrl: server.url });
    const shards = layout === 'sharded' ? SHARDS : 1;
    const row: Row = {
      variant,
      layout,
      outcome,
      wallRate: outcome.seconds > 0 ? outcome.writes / outcome.seconds : 0,
      steadyRate: steady(outcome),
      serverPeakRssMb: vmHwmMb(server.pid),
      createSeconds,
      curve: curveFromEvents(outcome.events, fillSteps(0, NODES, STEPS), { atMs: 0, done: 0 }, shards),
      loadAvg: load(),
    };
    log(
      `  ${spaces.length} space(s) created in ${createSeconds.toFixed(1)} s; ${outcome.writes} writes in ${outcome.seconds.toFixed(1)} s = ${row.wallRate.toFixed(1)}/s (steady ${row.steadyRate.toFixed(1)}/s), tool ${outcome.peakRssMb} MB, server ${row.serverPeakRssMb} MB`,
    );
    return row;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const startLoad = load();
  await installNeo4j({ log });
  const neo4j = (await isPortInUse(PORT))
    ? null
    : await startNeo4j({ port: PORT, dataDir: resolve('.runs/neo4j-bench'), auth: false, heap: '1g', pageCache: '512m' });
  const uri = `bolt://127.0.0.1:${PORT}`;
  const work = mkdtempSync(join(tmpdir(), 'engram-real-bench-'));
  const rows: Row[] = [];
  try {
    const driver = benchDriver(uri);
    await ensureBenchGraph(driver, { label: LABEL, nodes: NODES, missing: 0, seed: 21 }, log);
    await driver.close();
    const base = { uri, label: LABEL, space: SPACE, batchSize: BATCH, concurrency: CANDIDATES[0]! };
    const layouts = [
      { layout: 'unsharded' as const, shards: 1, bundle: join(work, 'bundle-unsharded') },
      { layout: 'sharded' as const, shards: SHARDS, bundle: join(work, 'bundle-sharded') },
    ];
    const bundles: Record<string, VariantOutcome> = {};
    for (const l of layouts) {
      bundles[l.layout] = runVariant('bundle', { ...base, shards: l.shards, bundle: l.bundle });
      log(`bundle ${l.layout}: Neo4j read into a bundle, ${bundles[l.layout]!.writes} nodes in ${bundles[l.layout]!.seconds.toFixed(1)} s`);
    }
    const probe = await onFreshServer('probe', 'unsharded', { ...base, shards: 1, bundle: layouts[0]!.bundle, candidates: CANDIDATES, probeWrites: 300 });
    const best = chooseConcurrency(probe.outcome.rates ?? [{ concurrency: base.concurrency, writesPerSecond: 0 }]).concurrency;
    log(`connections: ${(probe.outcome.rates ?? []).map((r) => `${r.concurrency} → ${r.writesPerSecond.toFixed(1)}/s`).join(', ')}; best ${best}`);
    for (const l of layouts.filter((x) => LAYOUTS.includes(x.layout)))
      for (const variant of VARIANTS) rows.push(await onFreshServer(variant, l.layout, { ...base, concurrency: best, shards: l.shards, bundle: l.bundle }));
    report(rows, probe, best, bundles, startLoad);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await neo4j?.stop();
  }
}

function report(rows: Row[], probe: Row, best: number, bundles: Record<string, VariantOutcome>, startLoad: string): void {
  const ceiling = (layout: string): Row | undefined => rows.find((r) => r.variant === 'ceiling' && r.layout === layout);
  const ratio = (a: number, b: number | undefined): string => (b ? (a / b).toFixed(2) : '-');
  console.log(`\nengram-real: ${NODES} nodes (768-d, distinct), ${SHARDS} shards when sharded, batch ${BATCH}, pause 0, connections ${best}`);
  console.log(`load average at start ${startLoad}, at end ${load()} (2-core machine shared; figures are ratios measured side by side)`);
  console.log('(each space was created by one synthetic write before each variant: "create s", not in the figures)');
  console.log('variant   layout     writes  seconds  wall w/s  steady w/s  ×ceiling wall  ×ceiling steady  tool RSS MB  server VmHWM MB  create s  load avg');
  for (const r of rows) {
    const c = ceiling(r.layout);
    console.log(
      `${r.variant.padEnd(9)} ${r.layout.padEnd(10)} ${String(r.outcome.writes).padStart(6)} ${r.outcome.seconds.toFixed(1).padStart(8)} ${r.wallRate.toFixed(1).padStart(9)} ${r.steadyRate.toFixed(1).padStart(11)}` +
        `  ${ratio(r.wallRate, c?.wallRate).padStart(13)}  ${ratio(r.steadyRate, c?.steadyRate).padStart(15)}  ${String(r.outcome.peakRssMb).padStart(11)}  ${String(r.serverPeakRssMb ?? '-').padStart(15)}  ${r.createSeconds.toFixed(1).padStart(8)}  ${r.loadAvg}`,
    );
  }
  console.log('\nwrites/s as spaces fill (fill = memories per space at the middle of the step; load fills shards one after another):');
  console.log(`fill/space  ${rows.map((r) => `${r.variant}-${r.layout[0]}`.padStart(11)).join(' ')}`);
  for (let i = 0; i < STEPS; i++) {
    const cells = rows.map((r) => (r.curve[i] ? `${r.curve[i]!.writesPerSecond.toFixed(1)}@${r.curve[i]!.fill}` : '-').padStart(11));
    console.log(`step ${String(i + 1).padEnd(6)} ${cells.join(' ')}`);
  }
  for (const c of rows.filter((r) => r.variant === 'ceiling' && r.curve.length >= 2)) {
    const m = fitFillModel(c.curve);
    console.log(
      `ceiling ${c.layout} fit: 1/rate = ${(m.secondsPerWrite0 * 1000).toFixed(3)} ms + ${(m.secondsPerWritePerMemory * 1e6).toFixed(3)} µs × fill per space (r² ${m.r2.toFixed(2)})`,
    );
  }
  for (const [layout, b] of Object.entries(bundles))
    console.log(`bundle (${layout}): the Neo4j read took ${b.seconds.toFixed(1)} s (${(b.writes / b.seconds).toFixed(0)} nodes/s), tool RSS ${b.peakRssMb} MB`);
  const targets = Object.fromEntries(
    rows
      .filter((r) => r.variant !== 'ceiling')
      .map((r) => [`${r.variant}/${r.layout}`, Number((r.wallRate / (ceiling(r.layout)?.wallRate ?? Number.NaN)).toFixed(3))]),
  );
  console.log(`targets: wall writes/s ÷ ceiling ≥ 0.90: ${JSON.stringify(targets)}`);
  mkdirSync('bench/results', { recursive: true });
  const json = {
    bench: 'engram-real',
    at: new Date().toISOString(),
    nodes: NODES,
    shards: SHARDS,
    batch: BATCH,
    best,
    probe: probe.outcome.rates,
    startLoad,
    endLoad: load(),
    rows,
    bundles,
    targets,
  };
  writeFileSync('bench/results/engram-real.json', JSON.stringify(json, null, 2));
}

await main();
