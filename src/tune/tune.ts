import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.js';
import { choosePoolSizing } from '../engine/worker-pool.js';
import { ConfigError, errorMessage } from '../errors.js';
import { redactUrl } from '../shared/redact.js';
import { countGraph, type GraphCount } from './count-graph.js';
import { DEFAULT_FILL_BUDGET, runFillCurve } from './fill-run.js';
import type { FillReport } from './fill-report.js';
import { type EmbeddingProbeReport, probeEmbeddings } from './embedding-probe.js';
import { describeProjection, projectBackfill } from './projection.js';
import { DEFAULT_RECOMMEND_OPTIONS, ineligibility, recommend } from './recommend.js';
import { runSliceProcess } from './run-slice-process.js';
import { scratchPrefix, scratchSpace, sliceConfig } from './slice-config.js';
import { firstEvent, measureSlice, STEADY_MIN_BATCHES } from './slice-measurement.js';
import { DEFAULT_BATCH_SIZES, defaultConcurrencyGrid, fullGrid, poolCombos, sameSetting, stageSettings, type TuneGridOptions } from './tune-grid.js';
import type { Recommendation, RecommendOptions, SliceLimits, SliceResult, TuneSetting } from './tune-types.js';

export interface TuneOptions {
  config: ResolvedConfig;
  /** Read and map only: no inference, no writes; the pause is added arithmetically. */
  dryRun?: boolean;
  /** `staged` (default): one knob at a time where the others are best; `full`: every combination. */
  search?: 'staged' | 'full';
  grid?: Partial<Omit<TuneGridOptions, 'cores'>>;
  cores?: number;
  /** Soft bounds of each slice (default 20 s, 150,000 nodes); a slice waits for four batches unless a hard bound hits. */
  sliceSeconds?: number;
  sliceNodes?: number;
  /** Project for this many nodes instead of the counted graph (e.g. the article's 10,000,000). */
  projectNodes?: number;
  /** Engram target: prefix of the scratch spaces (one per slice); default `tune-<random>`. */
  scratchPrefix?: string;
  /** Engram target: memories the fill curve writes into its scratch space (`<prefix>-fill`); 0 skips it. Default 5,000. */
  fillBudget?: number;
  /** Engram target: spaces per server the fill curve's recommended layouts stay within (default 128). */
  maxSpaces?: number;
  /** Engram target: measure the fill curve only, no backfill slices. */
  fillOnly?: boolean;
  /** A short dry-run slice first, so the first measured slice does not read a cold page cache. Default true. */
  warmup?: boolean;
  recommend?: Partial<RecommendOptions>;
  /** Where slice run directories (and scratch bundles) go; removed after each slice. */
  workDir?: string;
  nodeArgs?: string[];
  signal?: AbortSignal;
  onLog?: (line: string) => void;
  onSlice?: (result: SliceResult, index: number) => void;
  /** Texts of nodes without an embedding to time the generation options on (default 64; 0 skips the probe). */
  embeddingTexts?: number;
  /** provider openai: per-worker request concurrencies the probe tries (default 1, configured, 4 × configured). */
  embeddingConcurrency?: number[];
}

export interface TuneRow extends SliceResult {
  /** Why this slice cannot be recommended; null when it can. */
  ineligible: string | null;
}

/** What `tune` returns (and `--json` prints). */
export interface TuneReport {
  at: string;
  target: { kind: 'bundle' | 'engram'; location: string; scratch: string };
  dryRun: boolean;
  search: 'staged' | 'full';
  graph: GraphCount & { projectedNodes: number };
  grid: TuneGridOptions;
  limits: SliceLimits;
  pauseMs: number;
  rate: number;
  slices: TuneRow[];
  recommendation: (Recommendation & { projection: string }) | null;
  /** Engram target: writes/s as a scratch space fills, the fitted model, shard advice and projections. */
  fill: FillReport | null;
  /** Generation options timed on texts of nodes without an embedding; null when none lack one, dry runs, fill-only, or skipped. */
  embedding: EmbeddingProbeReport | null;
  interrupted: boolean;
  notes: string[];
  durationMs: number;
}

function resolveGrid(o: TuneOptions): TuneGridOptions {
  const cores = o.cores ?? availableParallelism();
  const g = o.grid ?? {};
  const concurrency = o.config.target.kind === 'engram' ? (g.concurrency ?? defaultConcurrencyGrid(o.config.target.concurrency)) : [];
  const grid = {
    batchSizes: g.batchSizes ?? DEFAULT_BATCH_SIZES,
    workers: g.workers ?? [1, 2],
    inferenceThreads: g.inferenceThreads ?? [1, 2],
    concurrency,
    cores,
  };
  for (const [name, list] of Object.entries({ batchSizes: grid.batchSizes, workers: grid.workers, inferenceThreads: grid.inferenceThreads, concurrency })) {
    if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new ConfigError(`tune.${name}`, `must hold whole numbers ≥ 1, got ${list.join(',')}`);
  }
  if (grid.batchSizes.length === 0) throw new ConfigError('tune.batchSizes', 'needs at least one batch size');
  if (poolCombos(grid.workers, grid.inferenceThreads, cores).length === 0) {
    throw new ConfigError(
      'tune.workers',
      `no pair of workers (${grid.workers.join(',')}) × inference threads (${grid.inferenceThreads.join(',')}) fits ${cores} cores`,
    );
  }
  return grid;
}

function sliceLimits(o: TuneOptions): SliceLimits {
  const sliceMs = (o.sliceSeconds ?? 20) * 1000;
  const nodeCap = o.config.target.kind === 'engram' ? o.config.target.capacityPerSpace : Number.MAX_SAFE_INTEGER;
  return { sliceMs, sliceNodes: o.sliceNodes ?? 150_000, nodeCap, hardMs: Math.max(3 * sliceMs, sliceMs + 60_000), minBatches: STEADY_MIN_BATCHES };
}

/** The configured (or default) pool layout when the grid holds it, else the grid's layout using the most threads. */
function startSetting(o: TuneOptions, grid: TuneGridOptions): TuneSetting {
  const chosen = choosePoolSizing(o.config.engine, grid.cores);
  const combos = poolCombos(grid.workers, grid.inferenceThreads, grid.cores);
  const widest = [...combos].sort((a, b) => b.workers * b.inferenceThreads - a.workers * a.inferenceThreads || b.workers - a.workers)[0];
  const pool = combos.find((c) => c.workers === chosen.workers && c.inferenceThreads === chosen.inferenceThreads) ?? widest ?? chosen;
  const concurrency = o.config.target.kind === 'engram' ? o.config.target.concurrency : null;
  return { batchSize: grid.batchSizes[0]!, ...pool, concurrency };
}

function notesFor(o: TuneOptions, prefix: string, slices: number): string[] {
  const notes = ['slices migrate nodes only; relationships are neither measured nor projected'];
  if (o.config.target.kind === 'engram' && !o.dryRun && slices > 0) {
    notes.push(
      `slices wrote into Engram scratch spaces ${prefix}-1 … ${prefix}-${slices} (mapping.spaces / defaultSpace redirected); Engram cannot delete memories, so they remain there`,
    );
  }
  if (o.config.target.kind === 'bundle' && !o.dryRun) notes.push('slices wrote into scratch bundles under the work directory, removed after each slice');
  if (o.config.target.kind === 'engram' && !o.dryRun && (o.fillBudget ?? DEFAULT_FILL_BUDGET) > 0) {
    notes.push(`the fill curve wrote synthetic memories (random 768-d vectors) into ${prefix}-fill; they remain there too`);
  }
  if (o.dryRun) notes.push('dry run: reads and maps only (no inference, no writes); the pause per batch is added arithmetically');
  if (o.config.engine.rate > 0) notes.push(`the configured write rate (${o.config.engine.rate}/s) applied to every slice`);
  return notes;
}

interface TuneRun {
  o: TuneOptions;
  grid: TuneGridOptions;
  limits: SliceLimits;
  graph: GraphCount;
  projectedNodes: number;
  prefix: string;
  workDir: string;
  results: SliceResult[];
}

async function runOne(run: TuneRun, setting: TuneSetting, index: number, dryRun: boolean, limits: SliceLimits): Promise<SliceResult> {
  const { o } = run;
  const dir = join(run.workDir, `slice-${index}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const space = o.config.target.kind === 'engram' ? scratchSpace(run.prefix, index) : null;
  const config = sliceConfig(
    o.config,
    setting,
    dir,
    space,
    run.graph.labels.map((l) => l.label),
  );
  try {
    const outcome = await runSliceProcess(
      { config, dryRun, limits },
      { ...(o.signal ? { signal: o.signal } : {}), ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}) },
    );
    const measurement = measureSlice(outcome);
    const projection = projectBackfill({
      measurement,
      first: firstEvent(outcome.events),
      nodes: run.projectedNodes,
      batchSize: setting.batchSize,
      pauseMs: config.engine.pauseMs,
      pauseMeasured: !dryRun,
    });
    return { setting, outcome, measurement, projection };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runStages(run: TuneRun): Promise<void> {
  const { o, grid } = run;
  const options = { ...DEFAULT_RECOMMEND_OPTIONS, ...o.recommend };
  let best = startSetting(o, grid);
  for (let stage = 0; stage < 3; stage++) {
    const settings = (o.search ?? 'staged') === 'full' ? (stage === 0 ? fullGrid(grid) : []) : stageSettings(stage, best, grid);
    for (const setting of settings) {
      if (o.signal?.aborted) return;
      if (run.results.some((r) => sameSetting(r.setting, setting))) continue;
      const index = run.results.length + 1;
      const result = await runOne(run, setting, index, o.dryRun ?? false, run.limits);
      if (o.signal?.aborted) return; // the slice was killed half-way: not a measurement
      run.results.push(result);
      o.onSlice?.(result, index);
    }
    best = recommend(run.results, options)?.setting ?? best;
  }
}

/**
 * `engram-migrate tune`: short timed backfill slices against the real source and target (a scratch
 * bundle, or Engram scratch spaces), each in its own process, over a grid of batch sizes, pool layouts
 * and (Engram) connections; measures records/s, P99 batch interval, peak RSS and target error rate; projects
 * the full backfill from the counted graph; recommends the lightest setting among the fastest.
 */
export async function tune(o: TuneOptions): Promise<TuneReport> {
  const started = Date.now();
  const log = o.onLog ?? (() => undefined);
  const grid = resolveGrid(o);
  const limits = sliceLimits(o);
  const graph = await countGraph(o.config);
  if (graph.totalNodes === 0)
    throw new ConfigError(
      'source.labels',
      `no nodes to migrate in ${redactUrl(o.config.source.uri)} (labels: ${graph.labels.map((l) => l.label).join(', ') || 'none'})`,
    );
  const projectedNodes = o.projectNodes ?? graph.totalNodes;
  const prefix = o.scratchPrefix ?? scratchPrefix();
  const run: TuneRun = { o, grid, limits, graph, projectedNodes, prefix, workDir: o.workDir ?? join(o.config.runDir, 'tune-slices'), results: [] };
  log(`graph: ${graph.totalNodes} nodes (${graph.labels.map((l) => `${l.label} ${l.nodes}`).join(', ')}); projecting for ${projectedNodes}`);
  if (o.fillOnly && o.dryRun) throw new ConfigError('tune.fillOnly', '--fill-only writes into an Engram scratch space: it cannot run with --dry-run');
  const fill = await runFillCurve(o.config, {
    grid,
    prefix,
    projectedNodes,
    budget: o.dryRun ? 0 : o.fillBudget,
    maxSpaces: o.maxSpaces,
    fillOnly: o.fillOnly,
    signal: o.signal,
    log,
  });
  if (o.fillOnly) log('fill only: no backfill slices');
  else if (o.warmup ?? true) {
    log('warm-up: one dry-run slice to fill the Neo4j page cache (not measured)');
    const warm = { ...startSetting(o, grid), batchSize: Math.max(...grid.batchSizes) };
    await runOne(run, warm, 0, true, { ...limits, minBatches: 1, sliceMs: limits.sliceMs / 2 });
  }
  if (!o.fillOnly) await runStages(run);
  const notes = notesFor(o, prefix, run.results.length);
  let embedding: EmbeddingProbeReport | null = null;
  if (!o.dryRun && !o.fillOnly && (o.embeddingTexts ?? 64) > 0 && !o.signal?.aborted) {
    log('embedding generation: timing the options on texts of nodes without an embedding');
    try {
      embedding = await probeEmbeddings(o.config, {
        texts: o.embeddingTexts ?? 64,
        ...(o.embeddingConcurrency ? { concurrency: o.embeddingConcurrency } : {}),
        ...(o.cores ? { cores: o.cores } : {}),
      });
    } catch (err) {
      notes.push(`the embedding probe failed: ${errorMessage(err)}`);
    }
  }
  const options = { ...DEFAULT_RECOMMEND_OPTIONS, ...o.recommend };
  const pick = recommend(run.results, options);
  await rm(run.workDir, { recursive: true, force: true });
  return {
    at: new Date(started).toISOString(),
    target: {
      kind: o.config.target.kind,
      location: o.config.target.kind === 'bundle' ? 'scratch bundle' : redactUrl(o.config.target.url),
      scratch: o.config.target.kind === 'engram' ? `${prefix}-<slice>` : 'temporary bundle per slice',
    },
    dryRun: o.dryRun ?? false,
    search: o.search ?? 'staged',
    graph: { ...graph, projectedNodes },
    grid,
    limits,
    pauseMs: o.config.engine.pauseMs,
    rate: o.config.engine.rate,
    slices: run.results.map((r) => ({ ...r, ineligible: ineligibility(r, options) })),
    recommendation: pick ? { ...pick, projection: describeProjection(pick.result.projection, pick.setting.batchSize) } : null,
    fill,
    embedding,
    interrupted: o.signal?.aborted ?? false,
    notes,
    durationMs: Date.now() - started,
  };
}
