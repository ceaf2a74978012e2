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
 * (ceiling,backfill,load; backfill-plain: the backfill without the dedup predictor and the live stamp check;
 * backfill-nodedup, backfill-nostamp: without one of them; backfill-readers: with a reader thread per core, the
 * default before the main thread read alone into Engram; ceiling-shared: the ceiling's writer while a busy thread
 * takes ENGRAM_BENCH_SHARED_CPU (0.3) of a core, as the backfill's own work does; ceiling-again: the ceiling's writer
 * once more, an A/A check of how far two identical runs differ on this machine),
 * ENGRAM_BENCH_LAYOUTS (unsharded,sharded), ENGRAM_BENCH_ROUNDS (1; more rounds alternate the order of the variants
 * and report the median of each round's ratio: the machine is a shared VM, whose host takes CPU (steal) by
 * the minute), ENGRAM_BENCH_NODE_ARGS (Node flags for each variant's process, e.g.
 * "--cpu-prof --cpu-prof-dir=DIR": a profile per thread).
 * Prints writes/s (wall and steady), ratios to the ceiling (target ≥ 0.90; also after the first 2,000 writes, the
 * start left out, and against the mean of the two minimal writers when ceiling-again ran), writes/s per fill step,
 * peak RSS of the server (VmHWM) and of the tool, with os.loadavg(); writes bench/results/engram-real.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installNeo4j, isPortInUse, readPidFile, startNeo4j } from '../src/sample/neo4j-server.js';
import { shardSpaces } from '../src/mapping/shard.js';
import { EngramClient } from '../src/target/engram-client.js';
import { chooseConcurrency, curveFromEvents, fillSteps, fitFillModel, type FillPoint } from '../src/tune/fill-model.js';
import { syntheticMemory } from '../src/tune/fill-probe.js';
import { startRealEngram } from '../test/helpers/real-engram-server.js';
import { benchDriver, ensureBenchGraph } from './bench-graph.js';
import { cpuSecondsOf } from './live-load-procs.js';
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
/** Rounds of all variants; odd rounds run them in reverse order, so no variant always follows the same one. */
const ROUNDS = Number(env('ENGRAM_BENCH_ROUNDS', '1'));
const LABEL = 'EngramRealDoc';
const SPACE = 'benchreal';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Row {
  variant: string;
  round: number;
  layout: 'unsharded' | 'sharded';
  outcome: VariantOutcome;
  wallRate: number;
  steadyRate: number;
  /** writes/s from the {@link AFTER_START}th acknowledgement to the last: the start (threads warming up, empty fast spaces) left out. */
  afterStartRate: number;
  serverPeakRssMb: number | null;
  /** Seconds of the one synthetic write that created each space before the variant (not in its figures). */
  createSeconds: number;
  curve: FillPoint[];
  loadAvg: string;
  /** CPU seconds over the variant: the server's, Neo4j's (the JVM serving the reads), the tool's (all its threads). */
  cpu: { server: number | null; neo4j: number | null; tool: number };
  /** Share of the machine's CPU time the hypervisor gave to other guests during the variant (/proc/stat steal). */
  stealPercent: number | null;
}

/** The machine's CPU time counters (all CPUs): total and steal. */
function cpuTimes(): { total: number; steal: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    return { total: f.slice(0, 8).reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

function runVariant(variant: string, options: VariantOptions): VariantOutcome {
  const nodeArgs = (process.env.ENGRAM_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const out = execFileSync(process.execPath, [...nodeArgs, 'dist/bench/engram-real-variant.js', variant, JSON.stringify(options)], {
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

/** The start a run leaves behind in {@link afterStart}: the first writes, while the tool's threads warm up and the spaces are empty and fast. */
const AFTER_START = Math.min(2000, Math.floor(NODES / 5));

/** writes/s from the first acknowledgement that reached `n` writes to the last one. */
function afterStart(o: VariantOutcome, n = AFTER_START): number {
  const from = o.events.find((e) => e.done >= n);
  const last = o.events.at(-1);
  return from && last && last.atMs > from.atMs ? (last.done - from.done) / ((last.atMs - from.atMs) / 1000) : 0;
}

async function onFreshServer(
  variant: string,
  layout: Row['layout'],
  options: Omit<VariantOptions, 'engramUrl'>,
  neo4jPid: number | null,
  round = 0,
): Promise<Row> {
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
    const neo4jCpu = (): number | null => (neo4jPid === null ? null : cpuSecondsOf(neo4jPid));
    const cpu0 = { server: cpuSecondsOf(server.pid), neo4j: neo4jCpu() };
    const times0 = cpuTimes();
    const outcome = runVariant(variant, { ...options, engramUrl: server.url });
    const delta = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Number((b - a).toFixed(2)));
    const cpu = {
      server: delta(cpu0.server, cpuSecondsOf(server.pid)),
      neo4j: delta(cpu0.neo4j, neo4jCpu()),
      tool: outcome.cpuSeconds,
    };
    const times1 = cpuTimes();
    const stealPercent =
      times0 && times1 && times1.total > times0.total ? Number(((100 * (times1.steal - times0.steal)) / (times1.total - times0.total)).toFixed(1)) : null;
    const shards = layout === 'sharded' ? SHARDS : 1;
    const row: Row = {
      variant,
      round,
      layout,
      outcome,
      wallRate: outcome.seconds > 0 ? outcome.writes / outcome.seconds : 0,
      steadyRate: steady(outcome),
      afterStartRate: afterStart(outcome),
      serverPeakRssMb: vmHwmMb(server.pid),
      createSeconds,
      curve: curveFromEvents(outcome.events, fillSteps(0, NODES, STEPS), { atMs: 0, done: 0 }, shards),
      loadAvg: load(),
      cpu,
      stealPercent,
    };
    log(
      `  ${spaces.length} space(s) created in ${createSeconds.toFixed(1)} s; ${outcome.writes} writes in ${outcome.seconds.toFixed(1)} s = ${row.wallRate.toFixed(1)}/s (steady ${row.steadyRate.toFixed(1)}/s), tool ${outcome.peakRssMb} MB, server ${row.serverPeakRssMb} MB; CPU s server ${cpu.server}, Neo4j ${cpu.neo4j}, tool ${cpu.tool}; steal ${stealPercent}%`,
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
  // Neo4j's CPU is counted when we know its pid: ours, or one started by an earlier run on the same data dir.
  const neo4jPid = neo4j?.pid ?? (await readPidFile(resolve('.runs/neo4j-bench/neo4j.pid')))?.pid ?? null;
  const work = mkdtempSync(join(tmpdir(), 'engram-real-bench-'));
  const rows: Row[] = [];
  try {
    const driver = benchDriver(uri);
    await ensureBenchGraph(driver, { label: LABEL, nodes: NODES, missing: 0, seed: 21 }, log);
    await driver.close();
    const base = { uri, label: LABEL, space: SPACE, batchSize: BATCH, concurrency: CANDIDATES[0]!, sharedCpu: Number(env('ENGRAM_BENCH_SHARED_CPU', '0.3')) };
    const layouts = [
      { layout: 'unsharded' as const, shards: 1, bundle: join(work, 'bundle-unsharded') },
      { layout: 'sharded' as const, shards: SHARDS, bundle: join(work, 'bundle-sharded') },
    ];
    const bundles: Record<string, VariantOutcome> = {};
    for (const l of layouts) {
      bundles[l.layout] = runVariant('bundle', { ...base, shards: l.shards, bundle: l.bundle });
      log(`bundle ${l.layout}: Neo4j read into a bundle, ${bundles[l.layout]!.writes} nodes in ${bundles[l.layout]!.seconds.toFixed(1)} s`);
    }
    const probe = await onFreshServer(
      'probe',
      'unsharded',
      { ...base, shards: 1, bundle: layouts[0]!.bundle, candidates: CANDIDATES, probeWrites: 300 },
      neo4jPid,
    );
    const best = chooseConcurrency(probe.outcome.rates ?? [{ concurrency: base.concurrency, writesPerSecond: 0 }]).concurrency;
    log(`connections: ${(probe.outcome.rates ?? []).map((r) => `${r.concurrency} → ${r.writesPerSecond.toFixed(1)}/s`).join(', ')}; best ${best}`);
    for (let round = 0; round < ROUNDS; round++)
      for (const l of layouts.filter((x) => LAYOUTS.includes(x.layout)))
        for (const variant of round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse())
          rows.push(await onFreshServer(variant, l.layout, { ...base, concurrency: best, shards: l.shards, bundle: l.bundle }, neo4jPid, round));
    report(rows, probe, best, bundles, startLoad);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await neo4j?.stop();
  }
}

/** CPU milliseconds per acknowledged write: server, Neo4j, tool. */
function perWrite(r: Row): string {
  const ms = (s: number | null): string => (s === null || r.outcome.writes === 0 ? '-' : ((1000 * s) / r.outcome.writes).toFixed(2));
  return `${ms(r.cpu.server)} ${ms(r.cpu.neo4j)} ${ms(r.cpu.tool)}`;
}

/** All three processes' CPU seconds over the variant's wall seconds: how much of the machine they kept busy. */
function coresBusy(r: Row): string {
  const total = (r.cpu.server ?? 0) + (r.cpu.neo4j ?? 0) + r.cpu.tool;
  return r.outcome.seconds > 0 ? (total / r.outcome.seconds).toFixed(2) : '-';
}

function report(rows: Row[], probe: Row, best: number, bundles: Record<string, VariantOutcome>, startLoad: string): void {
  // Each row is compared with the ceiling of its own round and layout.
  const ceilingOf = (r: Row): Row | undefined => rows.find((c) => c.variant === 'ceiling' && c.layout === r.layout && c.round === r.round);
  const ratio = (a: number, b: number | undefined): string => (b ? (a / b).toFixed(2) : '-');
  console.log(`\nengram-real: ${NODES} nodes (768-d, distinct), ${SHARDS} shards when sharded, batch ${BATCH}, pause 0, connections ${best}`);
  console.log(`load average at start ${startLoad}, at end ${load()} (2-core machine shared; figures are ratios measured side by side)`);
  console.log('(each space was created by one synthetic write before each variant: "create s", not in the figures)');
  console.log(
    `round variant          layout     writes  seconds  wall w/s  steady w/s  ×ceiling wall  ×ceiling steady  ×ceiling after ${AFTER_START}  tool RSS MB  server VmHWM MB  create s  CPU ms/write server neo4j tool  cores busy  steal %  load avg`,
  );
  for (const r of rows) {
    const c = ceilingOf(r);
    console.log(
      `${String(r.round + 1).padEnd(5)} ${r.variant.padEnd(16)} ${r.layout.padEnd(10)} ${String(r.outcome.writes).padStart(6)} ${r.outcome.seconds.toFixed(1).padStart(8)} ${r.wallRate.toFixed(1).padStart(9)} ${r.steadyRate.toFixed(1).padStart(11)}` +
        `  ${ratio(r.wallRate, c?.wallRate).padStart(13)}  ${ratio(r.steadyRate, c?.steadyRate).padStart(15)}  ${ratio(r.afterStartRate, c?.afterStartRate).padStart(14 + String(AFTER_START).length)}  ${String(r.outcome.peakRssMb).padStart(11)}  ${String(r.serverPeakRssMb ?? '-').padStart(15)}  ${r.createSeconds.toFixed(1).padStart(8)}  ${perWrite(r).padStart(24)}  ${coresBusy(r).padStart(10)}  ${String(r.stealPercent ?? '-').padStart(7)}  ${r.loadAvg}`,
    );
  }
  console.log('\nwrites/s as spaces fill (fill = memories per space at the middle of the step; load fills shards one after another):');
  console.log(`fill/space  ${rows.map((r) => `${r.variant}-${r.layout[0]}${ROUNDS > 1 ? r.round + 1 : ''}`.padStart(11)).join(' ')}`);
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
  // Per variant and layout: the median over rounds of (wall writes/s ÷ the same round's ceiling), with every round's ratio;
  // the same after the start; and, when the A/A writer ran, against the mean of the round's two minimal writers.
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const perRoundOf = (rate: (r: Row) => number, denominator: (r: Row) => number | undefined): Map<string, number[]> => {
    const out = new Map<string, number[]>();
    for (const r of rows.filter((x) => x.variant !== 'ceiling')) {
      const key = `${r.variant}/${r.layout}`;
      out.set(key, [...(out.get(key) ?? []), Number((rate(r) / (denominator(r) ?? Number.NaN)).toFixed(3))]);
    }
    return out;
  };
  const mediansOf = (m: Map<string, number[]>): Record<string, number> => Object.fromEntries([...m].map(([k, xs]) => [k, Number(median(xs).toFixed(3))]));
  const perRound = perRoundOf(
    (r) => r.wallRate,
    (r) => ceilingOf(r)?.wallRate,
  );
  const afterStartPerRound = perRoundOf(
    (r) => r.afterStartRate,
    (r) => ceilingOf(r)?.afterStartRate,
  );
  const again = (r: Row): Row | undefined => rows.find((c) => c.variant === 'ceiling-again' && c.layout === r.layout && c.round === r.round);
  const bothMean = (r: Row, rate: (x: Row) => number): number | undefined => {
    const c = ceilingOf(r);
    const a = again(r);
    return c && a ? (rate(c) + rate(a)) / 2 : undefined;
  };
  const againstBoth = perRoundOf(
    (r) => r.wallRate,
    (r) => bothMean(r, (x) => x.wallRate),
  );
  const targets = mediansOf(perRound);
  console.log(`targets: wall writes/s ÷ ceiling ≥ 0.90 (median of ${ROUNDS} round(s)): ${JSON.stringify(targets)}`);
  if (ROUNDS > 1) console.log(`each round: ${JSON.stringify(Object.fromEntries(perRound))}`);
  console.log(
    `after the first ${AFTER_START} writes (the start left out), ÷ ceiling: ${JSON.stringify(mediansOf(afterStartPerRound))}; each round: ${JSON.stringify(Object.fromEntries(afterStartPerRound))}`,
  );
  if (rows.some((r) => r.variant === 'ceiling-again'))
    console.log(
      `wall writes/s ÷ the mean of the round's two minimal writers: ${JSON.stringify(mediansOf(againstBoth))}; each round: ${JSON.stringify(Object.fromEntries(againstBoth))}`,
    );
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
    rounds: ROUNDS,
    rows,
    bundles,
    targets,
    perRound: Object.fromEntries(perRound),
    afterStart: { writes: AFTER_START, medians: mediansOf(afterStartPerRound), perRound: Object.fromEntries(afterStartPerRound) },
    againstBothMinimalWriters: { medians: mediansOf(againstBoth), perRound: Object.fromEntries(againstBoth) },
  };
  writeFileSync('bench/results/engram-real.json', JSON.stringify(json, null, 2));
}

await main();
