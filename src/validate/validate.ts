import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.js';
import { choosePoolSizing, WorkerPool } from '../engine/worker-pool.js';
import { throwIfAborted } from '../shared/abort.js';
import { Neo4jSource } from '../source/neo4j-source.js';
import { createSampleReader } from './create-sample-reader.js';
import { sampleKeys, type KeySample } from './key-sampler.js';
import { readCheckpoint, readRejectIndex, type RejectIndex } from './reject-index.js';
import { SampleChecker } from './sample-checker.js';
import { DedupMap, dedupMapPath } from '../dedup/dedup-map.js';
import { InlineSampleFetcher, ThreadSampleFetcher, type SampleFetcher } from './sample-fetcher.js';
import type { PreparedChunk } from './source-sample-reader.js';
import { TargetSample, type SampleTargetReader } from './target-sample.js';
import { planValidation, type ValidationLabel, type ValidationPlan } from './validation-plan.js';
import {
  evaluateChecks,
  evaluateRunChecks,
  REPORT_FORMAT,
  REPORT_VERSION,
  reportPassed,
  type RunAccounting,
  type SpaceCount,
  type ValidationReport,
  type ValidationThresholds,
} from './validation-report.js';
import { workerModelOptions } from '../engine/worker-model-options.js';

export interface ValidateOptions {
  config: ResolvedConfig;
  /** Nodes to sample (default config validate.sampleSize). */
  sampleSize?: number;
  /** Share of the nodes to sample instead, 0..1 (e.g. 0.01). */
  sampleRate?: number;
  /** Default config validate.seed. */
  seed?: number;
  /** Overrides of the config's thresholds. */
  thresholds?: Partial<ValidationThresholds>;
  /** The backfill's reject log; default `<runDir>/rejects.ndjson` (if absent, counts are raw differences). null: none. */
  rejectsPath?: string | null;
  /** A target reader other than the one the config names. */
  reader?: SampleTargetReader;
  /** A pool to reuse (it must have the run's model when nodes lack embeddings); default: a new one. */
  pool?: WorkerPool;
  signal?: AbortSignal;
  onProgress?: (event: { phase: 'sample' | 'target' | 'check'; done: number; total: number }) => void;
  /** Faults listed in the report (all are counted); default 1,000. */
  maxFaults?: number;
  /** Missing memories to explain with a similarity search on the target; default 1,000. */
  maxExplained?: number;
  /** Sampled nodes fetched from Neo4j per query; default 2,000. */
  chunkSize?: number;
}

/** Thresholds of the config (article defaults), with overrides; content and space counts default to 0. */
export function resolveThresholds(config: ResolvedConfig, overrides: Partial<ValidationThresholds> = {}): ValidationThresholds {
  const v = config.validate;
  return {
    maxMissingRate: overrides.maxMissingRate ?? v.maxMissingRate,
    maxEmbeddingMismatchRate: overrides.maxEmbeddingMismatchRate ?? v.maxEmbeddingMismatchRate,
    maxEdgeMismatchRate: overrides.maxEdgeMismatchRate ?? v.maxEdgeMismatchRate,
    maxRejectedRate: overrides.maxRejectedRate ?? v.maxRejectedRate,
    maxContentMismatchRate: overrides.maxContentMismatchRate ?? 0,
    maxCountDifferenceRate: overrides.maxCountDifferenceRate ?? 0,
    minCosine: overrides.minCosine ?? v.minCosine,
  };
}

interface Chunk {
  label: ValidationLabel;
  firstRow: number;
  keys: string[];
  nodeIds: number[];
}

function chunksOf(plan: ValidationPlan, sample: KeySample, size: number): Chunk[] {
  const chunks: Chunk[] = [];
  let row = 0;
  for (const label of plan.labels) {
    const sampled = sample.keys.filter((k) => k.label === label.label);
    const keys = sampled.map((k) => k.key);
    const nodeIds = sampled.map((k) => k.nodeId);
    for (let i = 0; i < keys.length; i += size) chunks.push({ label, firstRow: row + i, keys: keys.slice(i, i + size), nodeIds: nodeIds.slice(i, i + size) });
    row += keys.length;
  }
  return chunks;
}

function spaceCounts(
  plan: ValidationPlan,
  target: TargetSample,
  rejects: RejectIndex,
  existing: Record<string, number>,
  capacity: number | null,
  dedupMap: DedupMap | null,
): SpaceCount[] {
  const dropped = dedupMap?.countsBySpace() ?? new Map<string, number>();
  return [...plan.spaces].map(([space, labels]) => {
    const neo4j = plan.labels.filter((l) => l.space === space).reduce((sum, l) => sum + l.nodes, 0);
    const rejected = rejects.found ? (rejects.bySpace.get(space) ?? 0) : null;
    // A sharded space is counted over its shards: the hash decides how a label splits, not the plan.
    const shards = plan.shardSpaces.get(space) ?? [space];
    const existingAtStart = shards.reduce((sum, s) => sum + (existing[s] ?? 0), 0);
    // Drops the run predicted (its dedup map) are not held by a deduplicating target.
    const predicted = shards.reduce((sum, s) => sum + (dropped.get(s) ?? 0), 0);
    const expected = neo4j - (rejected ?? 0) - predicted + existingAtStart;
    const held = shards.reduce((sum, s) => sum + (target.spaceCounts.get(s) ?? 0), 0);
    return {
      space,
      labels,
      neo4j,
      rejected,
      existingAtStart,
      expected,
      target: held,
      difference: held - expected,
      capacity,
      atCapacity: capacity !== null && held >= capacity,
      exact: rejects.found,
    };
  });
}

function notesFor(reader: SampleTargetReader, sample: KeySample, plan: ValidationPlan): string[] {
  const notes = [
    `uniform sample of ${sample.keys.length} of ${sample.population} nodes with a usable key (Algorithm S over each label's nodes in node-id order); nodes without one are all rejected by the engine and counted by the rejected-records check`,
  ];
  if (reader.kind === 'engram') {
    notes.push(
      'embeddings read back with the list endpoint (include_embeddings=true), the only Engram route that returns them; missing memories explained with recall by embedding',
    );
  }
  const unused = plan.labels.filter((l) => l.nodes === 0).map((l) => l.label);
  if (unused.length > 0) notes.push(`labels without nodes: ${unused.join(', ')}`);
  return notes;
}

/**
 * Fetches the sampled nodes chunk by chunk, `parallelism + 1` chunks ahead (read while earlier ones are
 * checked), and checks them in order.
 */
async function checkChunks(
  fetcher: SampleFetcher,
  chunks: Chunk[],
  checker: SampleChecker,
  run: { options: ValidateOptions; withEdges: boolean; total: number },
): Promise<void> {
  const { signal, onProgress } = run.options;
  const ahead: Array<Promise<PreparedChunk>> = [];
  let next = 0;
  const launch = (): void => {
    const c = chunks[next++];
    if (!c) return;
    const p = fetcher.fetch(c.label, c.keys, c.nodeIds, run.withEdges);
    p.catch(() => undefined); // awaited in order below
    ahead.push(p);
  };
  for (let i = 0; i <= fetcher.parallelism; i++) launch();
  for (const chunk of chunks) {
    throwIfAborted(signal);
    const prepared = await ahead.shift()!;
    launch();
    await checker.check(chunk.label, chunk.firstRow, chunk.keys, prepared);
    onProgress?.({ phase: 'check', done: chunk.firstRow + chunk.keys.length, total: run.total });
  }
}

/** Fetch threads for large samples (config source.readers; 0 = one per core), the main thread otherwise. */
function createFetcher(config: ResolvedConfig, source: Neo4jSource, plan: ValidationPlan, sampled: number, chunkSize: number): SampleFetcher {
  const threads = config.source.readers > 0 ? config.source.readers : availableParallelism();
  if (threads < 2 || sampled < 2 * chunkSize) return new InlineSampleFetcher(source, plan, config.mapping);
  return new ThreadSampleFetcher(threads, config, plan);
}

interface SweepResult {
  plan: ValidationPlan;
  sample: KeySample;
  checker: SampleChecker;
  spaces: SpaceCount[];
  run: RunAccounting;
}

function buildReport(
  options: ValidateOptions,
  reader: SampleTargetReader,
  thresholds: ValidationThresholds,
  r: SweepResult,
  startedAt: Date,
  timings: Record<string, number>,
): ValidationReport {
  const { sample, checker } = r;
  const checks = [...evaluateChecks(checker.counters, r.spaces, thresholds, { edges: reader.edges }), ...evaluateRunChecks(r.run, r.spaces, thresholds)];
  const finishedAt = new Date();
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    mode: 'sweep',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    runDir: options.config.runDir,
    target: { kind: reader.kind, location: reader.location },
    sample: {
      seed: options.seed ?? options.config.validate.seed,
      requested: sample.requested,
      population: sample.population,
      sampled: sample.keys.length,
      repeatedKeys: sample.repeated,
      byLabel: sample.byLabel,
    },
    thresholds,
    counters: checker.counters,
    checks,
    spaces: r.spaces,
    faults: checker.faults,
    faultsByKind: checker.faultsByKind,
    ...(checker.expectedDrops.length > 0 ? { expectedDrops: checker.expectedDrops } : {}),
    rejectedByMappingByCode: checker.rejectedByCode,
    timings: { ...timings, ...Object.fromEntries(Object.entries(checker.timings).map(([k, v]) => [k, Math.round(v)])) },
    notes: notesFor(reader, sample, r.plan),
    passed: reportPassed(checks),
  };
}

async function sweep(
  options: ValidateOptions,
  source: Neo4jSource,
  reader: SampleTargetReader,
  pool: WorkerPool,
  thresholds: ValidationThresholds,
  timed: Timed,
): Promise<SweepResult> {
  const { config, signal } = options;
  await source.connect();
  const recorded = await readCheckpoint(config);
  const plan = await timed('planMs', () => planValidation(source, config, recorded?.shards));
  const sizeOrRate = options.sampleRate !== undefined ? { rate: options.sampleRate } : { size: options.sampleSize ?? config.validate.sampleSize };
  const seed = options.seed ?? config.validate.seed;
  const sample = await timed('sampleMs', () => sampleKeys(source, plan.labels, { ...sizeOrRate, seed, ...(signal ? { signal } : {}) }));
  options.onProgress?.({ phase: 'sample', done: sample.keys.length, total: sample.population });
  const target = new TargetSample(sample.keys.map((k) => ({ space: k.space, id: k.key })));
  await timed('targetMs', () => reader.read(target, [...plan.shardSpaces.values()].flat(), signal));
  options.onProgress?.({ phase: 'target', done: target.scanned, total: target.scanned });
  const rejectsPath = options.rejectsPath === undefined ? join(config.runDir, 'rejects.ndjson') : options.rejectsPath;
  const [rejects, checkpoint, dedupMap] = await Promise.all([
    readRejectIndex(rejectsPath, config.mapping),
    readCheckpoint(config),
    DedupMap.read(dedupMapPath(config.runDir)),
  ]);
  const checker = new SampleChecker({
    mapping: config.mapping,
    now: checkpoint?.now ?? new Date().toISOString(),
    pool,
    modelBatchSize: config.model.batchSize,
    reader,
    target,
    rejects,
    thresholds,
    labels: new Map(plan.labels.map((l) => [l.label, l])),
    maxFaults: options.maxFaults ?? 1000,
    maxExplained: options.maxExplained ?? 1000,
    dedupMap,
    ...(signal ? { signal } : {}),
  });
  const chunkSize = options.chunkSize ?? 2000;
  const fetcher = createFetcher(config, source, plan, sample.keys.length, chunkSize);
  try {
    await timed('checkMs', () =>
      checkChunks(fetcher, chunksOf(plan, sample, chunkSize), checker, { options, withEdges: reader.edges, total: sample.keys.length }),
    );
  } finally {
    await fetcher.close();
  }
  const spaces = spaceCounts(plan, target, rejects, checkpoint?.existingAtStart ?? {}, reader.capacityPerSpace, reader.dedup ? dedupMap : null);
  const counters = checkpoint?.counters;
  const run: RunAccounting = {
    nodes: plan.labels.reduce((n, l) => n + l.nodes, 0),
    nodesRejected: rejects.found ? [...rejects.bySpace.values()].reduce((a, b) => a + b, 0) : null,
    rejectsByCode: Object.fromEntries(rejects.byCode),
    relationships: plan.labels.reduce((n, l) => n + l.relationships, 0),
    relationshipCounters:
      counters && config.engine.edges ? { read: counters.relationshipsRead, written: counters.edgesWritten, rejected: counters.relationshipsRejected } : null,
  };
  return { plan, sample, checker, spaces, run };
}

type Timed = <T>(name: string, work: () => Promise<T>) => Promise<T>;

/**
 * A validation sweep (article, "Validation"): samples nodes uniformly from Neo4j, reads the sampled
 * memories back from the target, and checks each one (present under its space and id, embedding
 * cosine, content, edge count), explains every missing memory (target dedup, eviction, or missing),
 * compares per-space counts, and applies the thresholds. Returns the report; writes nothing.
 *
 * @example
 * const report = await validate({ config, sampleSize: 1000 });
 * if (!report.passed) console.log(report.faultsByKind);
 */
export async function validate(options: ValidateOptions): Promise<ValidationReport> {
  const { config, signal } = options;
  // One listener per request or pool task in flight (dozens): not a leak.
  if (signal) setMaxListeners(256, signal);
  const startedAt = new Date();
  const timings: Record<string, number> = {};
  const timed: Timed = async (name, work) => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };
  const thresholds = resolveThresholds(config, options.thresholds);
  const source = new Neo4jSource(config.source, config.mapping);
  const reader = options.reader ?? createSampleReader(config);
  const pool = options.pool ?? new WorkerPool(choosePoolSizing(config.engine), workerModelOptions(config.model));
  try {
    const result = await sweep(options, source, reader, pool, thresholds, timed);
    return buildReport(options, reader, thresholds, result, startedAt, timings);
  } finally {
    if (!options.pool) await pool.close();
    if (!options.reader) await reader.close();
    await source.close();
  }
}
