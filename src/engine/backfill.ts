import { createHash, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.js';
import { MigrateError, errorMessage } from '../errors.js';
import { isAbortFrom } from '../shared/abort.js';
import { redactSecrets, redactUrl } from '../shared/redact.js';
import { NdjsonAppender } from '../shared/ndjson-appender.js';
import { Neo4jSource } from '../source/neo4j-source.js';
import { createTarget } from '../target/create-target.js';
import type { Target } from '../target/target.js';
import { BundleTarget } from '../target/bundle-target.js';
import type { BackfillSummary, ProgressEvent } from './backfill-types.js';
import { CHECKPOINT_VERSION, CheckpointStore, emptyCounters, type Checkpoint } from './checkpoint-store.js';
import { migrateEdges } from './edge-phase.js';
import { migrateNodes } from './node-phase.js';
import { planBackfill, type BackfillPlan } from './plan.js';
import { shardSpaces } from '../mapping/shard.js';
import { RejectLog } from './reject-log.js';
import { acquireRunLocks, releaseRunLocks } from './run-lock.js';
import { emitProgress, saveCheckpoint, type CommittedBatch, type RunContext } from './run-context.js';
import { choosePoolSizing, type PoolBusy, WorkerPool } from './worker-pool.js';
import { ReaderPool } from './reader-pool.js';
import { availableParallelism } from 'node:os';
import { WriteLimiter } from './write-limiter.js';
import { workerModelOptions } from './worker-model-options.js';
import type { DedupGuard } from '../dedup/dedup-guard.js';
import { DedupThread } from '../dedup/dedup-backend.js';
import { createDedupGuard, predictsDedup, withPreflight } from '../dedup/preflight.js';
import { lastLabelWriting } from '../dedup/predictor-memory.js';

export interface BackfillOptions {
  config: ResolvedConfig;
  /** Continue the run recorded in `config.runDir` (a missing checkpoint starts fresh). */
  resume?: boolean;
  /** Read and map everything, write nothing, report what would happen. */
  dryRun?: boolean;
  /**
   * Predict the target's near-duplicate drops (src/dedup) over the whole plan before writing: a dry pass
   * first (every missing embedding generated), then, unless `target.onDedup` is `refuse` and drops are
   * predicted, the run. Default: on in a dry run (which then is the pass), off otherwise.
   */
  preflight?: boolean;
  /** Start over even if the run directory or bundle holds an unfinished run (the bundle is emptied). */
  overwrite?: boolean;
  /** Add this run's labels to a bundle that already holds others (the manifest then covers all of them). */
  append?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  onBatchCommitted?: (batch: CommittedBatch) => Promise<void> | void;
  /** The run's token bucket; pass one to change its settings while the run goes on. */
  limiter?: WriteLimiter;
  /** A target other than the one the config names. */
  target?: Target;
}

/**
 * Options that decide what bytes get written; a resume with different ones would mix two runs. The
 * model is among them: generated embeddings of one model must not sit beside another's.
 */
export function configHash(config: ResolvedConfig): string {
  const { source, mapping, target, model } = config;
  const where = target.kind === 'bundle' ? target.path : target.url;
  const relevant = {
    uri: source.uri,
    database: source.database,
    labels: source.labels,
    mapping,
    target: { kind: target.kind, where },
    // Remote fields only when remote, so the hash of a local run is what it was before they existed.
    model:
      model.provider === 'local'
        ? { path: model.path, dtype: model.dtype, maxTokens: model.maxTokens }
        : { provider: model.provider, url: model.url, name: model.name, sendDimensions: model.sendDimensions },
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

async function startCheckpoint(
  store: CheckpointStore,
  config: ResolvedConfig,
  options: BackfillOptions,
): Promise<{ checkpoint: Checkpoint | null; resumed: boolean }> {
  const existing = await store.load();
  if (existing && options.resume) {
    if (existing.configHash !== configHash(config)) {
      throw new MigrateError(
        'CHECKPOINT_INVALID',
        `the run in ${config.runDir} was started with other source, mapping, target or model options; resume it with the same options or start over with --overwrite`,
      );
    }
    return { checkpoint: existing, resumed: true };
  }
  if (existing && !existing.done && !options.overwrite && !options.dryRun) {
    throw new MigrateError(
      'CHECKPOINT_INVALID',
      `${config.runDir} holds an unfinished run (${existing.counters.memoriesWritten} memories written); pass --resume to continue it or --overwrite to start over`,
    );
  }
  return { checkpoint: null, resumed: false };
}

/** Label → shard count of the plan's sharded labels, as the checkpoint records it. */
function shardLayoutOf(plan: BackfillPlan): Record<string, number> {
  return Object.fromEntries(plan.labels.filter((l) => l.shards > 1).map((l) => [l.label, l.shards]));
}

/** A resumed run must route every memory as its first part did, or ids would land in two shards. */
function checkShardLayout(previous: Checkpoint, plan: BackfillPlan, runDir: string): void {
  const before = previous.shards ?? {};
  const now = shardLayoutOf(plan);
  const labels = [...new Set([...Object.keys(before), ...Object.keys(now)])];
  const changed = labels.filter((l) => (before[l] ?? 1) !== (now[l] ?? 1));
  if (changed.length > 0) {
    throw new MigrateError(
      'CHECKPOINT_INVALID',
      `the run in ${runDir} was started with another shard layout (${changed.map((l) => `${l}: ${before[l] ?? 1} shards then, ${now[l] ?? 1} now`).join('; ')}); the node counts moved the automatic layout; start over with --overwrite`,
    );
  }
}

/** Migrating a label twice into one bundle would hold two copies of its memories: refuse (exit 8). */
async function refuseLabelsAlreadyInBundle(target: Target, labels: readonly string[]): Promise<void> {
  if (!(target instanceof BundleTarget)) return;
  const manifest = await target.manifest();
  if (!manifest) return;
  const runs = (manifest.info.runs as Array<Record<string, unknown>> | undefined) ?? [manifest.info];
  const held = new Set(runs.flatMap((r) => ((r.labels as Array<{ label: string }> | undefined) ?? []).map((l) => l.label)));
  const again = labels.filter((l) => held.has(l));
  if (again.length > 0) {
    throw new MigrateError(
      'BUNDLE_NOT_EMPTY',
      `bundle ${target.location} already holds label${again.length > 1 ? 's' : ''} ${again.join(', ')}; --append adds other labels (choose them with --labels), --overwrite replaces the bundle`,
    );
  }
}

/**
 * Reader threads (`source.readers`; 0 = by target). Into a bundle, one per core: the read is the whole
 * run. Into Engram, the main thread alone: the server ingests hundreds of memories a second (a thousand
 * into empty spaces) and the main thread reads and decodes several thousand nodes a second, while each
 * reader thread costs its start-up (loading neo4j-driver, warming up: measured 1.1-1.3 s of CPU over a
 * 10k-node backfill, most of it in the first seconds, when a server beside the tool is at its fastest).
 */
export function defaultReaders(config: Pick<ResolvedConfig, 'source'>, target: Target['kind']): number {
  if (config.source.readers > 0) return config.source.readers;
  return target === 'engram' ? 1 : availableParallelism();
}

/**
 * The backfill (article, Phase 3): streams every node and relationship from Neo4j through the worker
 * pool into the target under the token bucket, checkpointing after every acknowledged batch, so a
 * crash at any point resumes without loss or duplicates. Records that cannot be migrated go to the
 * reject log; the summary accounts for every node read.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillSummary> {
  const { config } = options;
  // A second backfill (or a load) in the same run directory or bundle would interleave two runs' writes.
  const lockDirs = options.dryRun ? [] : [config.runDir, ...(!options.target && config.target.kind === 'bundle' ? [config.target.path] : [])];
  const locks = await acquireRunLocks(lockDirs, 'backfill');
  try {
    return await withPreflight(options, backfillLocked);
  } finally {
    await releaseRunLocks(locks);
  }
}

async function backfillLocked(options: BackfillOptions): Promise<BackfillSummary> {
  const { config } = options;
  const started = Date.now();
  const dryRun = options.dryRun ?? false;
  const store = new CheckpointStore(config.runDir);
  const { checkpoint: previous, resumed } = await startCheckpoint(store, config, options);
  const source = new Neo4jSource(config.source, config.mapping);
  const target = options.target ?? createTarget(config, { overwrite: options.overwrite ?? false, append: options.append ?? false });
  const limiter = options.limiter ?? new WriteLimiter({ rate: config.engine.rate, concurrency: 0 });
  const signal = options.signal ?? new AbortController().signal;
  let pool: WorkerPool | null = null;
  let readers: ReaderPool | null = null;
  let dedup: DedupGuard | null = null;
  let dedupBackend: DedupThread | null = null;
  const preflight = options.preflight ?? dryRun;
  let ctx: RunContext | null = null;
  let error: unknown = null;
  let poolBusy: PoolBusy | null = null;
  try {
    // The threads start first: they load their modules and connect while this thread plans.
    const sizing = choosePoolSizing(config.engine);
    pool = new WorkerPool(sizing, workerModelOptions(config.model));
    const readerCount = defaultReaders(config, target.kind);
    readers = readerCount > 1 ? new ReaderPool(readerCount, config.source, config.mapping) : null;
    // The predictor's thread too: loading ONNX Runtime and making its sessions took 0.3-0.7 s of CPU, which
    // landed on the first writes when it started after the plan.
    dedupBackend = predictsDedup(config, { dryRun, preflight }) ? new DedupThread() : null;
    await source.connect();
    const { plan, existingAtStart, duplicates } = await planBackfill(source, target, config, previous?.existingAtStart ?? null, dryRun);
    if (previous) checkShardLayout(previous, plan, config.runDir);
    if (options.append && !resumed)
      await refuseLabelsAlreadyInBundle(
        target,
        plan.labels.map((l) => l.label),
      );
    const checkpoint: Checkpoint = previous ?? {
      version: CHECKPOINT_VERSION,
      runId: randomUUID(),
      configHash: configHash(config),
      startedAt: new Date().toISOString(),
      updatedAt: '',
      now: new Date().toISOString(),
      labels: {},
      edges: null,
      counters: emptyCounters(),
      shards: shardLayoutOf(plan),
      existingAtStart,
      targetState: {},
      rejectLogLength: 0,
      edgeSidecarLength: 0,
      done: false,
    };
    if (!dryRun) {
      await mkdir(config.runDir, { recursive: true });
      await target.open(previous ? previous.targetState : null);
    }
    dedup = await createDedupGuard(config, { dryRun, preflight, resumed, mapLength: previous?.dedupMapLength ?? 0 }, dedupBackend ?? undefined);
    ctx = {
      config,
      source,
      target,
      pool,
      readers,
      limiter,
      plan,
      duplicates,
      checkpoint,
      store,
      rejects: await RejectLog.open(dryRun ? null : join(config.runDir, 'rejects.ndjson'), previous?.rejectLogLength ?? 0),
      edgeSidecar:
        dryRun || target.capabilities.edges ? null : await NdjsonAppender.open(join(config.runDir, 'edges.ndjson'), previous?.edgeSidecarLength ?? 0),
      dedup,
      dryRun,
      signal,
      onProgress: options.onProgress ?? (() => undefined),
      onBatchCommitted: options.onBatchCommitted,
      embeddingsToGenerate: 0,
      resumed,
    };
    await saveCheckpoint(ctx);
    emitProgress(ctx, 'plan', null);
    // A space's predictor matrix is needed only until the last label writing to it is done.
    const lastLabel = lastLabelWriting(plan.labels.map((l) => shardSpaces(l)));
    for (const [i, label] of plan.labels.entries()) {
      if (signal.aborted) break;
      await migrateNodes(ctx, label);
      dedup?.release(shardSpaces(label).filter((s) => lastLabel.get(s) === i));
    }
    if (config.engine.edges && !signal.aborted) await migrateEdges(ctx);
    if (!signal.aborted && !dryRun) {
      emitProgress(ctx, 'finish', null);
      const labels = plan.labels.map((l) => ({
        label: l.label,
        space: l.space,
        ...(l.shards > 1 ? { shards: l.shards, shardSpaces: shardSpaces(l) } : {}),
        key: l.key.properties,
        keySource: l.key.source,
      }));
      await target.finish({
        runId: checkpoint.runId,
        counters: checkpoint.counters,
        source: { uri: redactUrl(config.source.uri), database: config.source.database },
        labels,
      });
      checkpoint.done = true;
      await saveCheckpoint(ctx);
    }
    emitProgress(ctx, 'done', null);
  } catch (err) {
    error = err;
  } finally {
    poolBusy = pool?.busy() ?? null;
    await pool?.close();
    await readers?.close();
    await ctx?.rejects.close();
    await ctx?.edgeSidecar?.close();
    // The guard owns the predictor's thread once made; before that (the plan failed) it is closed here.
    await (dedup ?? dedupBackend)?.close();
    await limiter.stop();
    await source.close();
    await target.close().catch(() => undefined);
  }
  // An error caused by the interrupt itself (an Engram request or a worker task cut short) is the
  // abort, not a failure: the checkpoint holds the last acknowledged batch and --resume continues.
  if (isAbortFrom(error, signal)) error = null;
  return summarize(ctx, { config, target, resumed, dryRun, started, error, aborted: signal.aborted, poolBusy });
}

function summarize(
  ctx: RunContext | null,
  run: {
    config: ResolvedConfig;
    target: Target;
    resumed: boolean;
    dryRun: boolean;
    started: number;
    error: unknown;
    aborted: boolean;
    poolBusy: PoolBusy | null;
  },
): BackfillSummary {
  const counters = ctx?.checkpoint.counters ?? emptyCounters();
  const durationMs = Date.now() - run.started;
  const plan = ctx?.plan ?? { labels: [], spaces: [], totalNodes: 0, totalRelationships: 0, keyProperties: [], warnings: [] };
  const warnings = [...plan.warnings];
  const status = run.error ? 'failed' : run.aborted ? 'aborted' : run.dryRun ? 'dry-run' : 'completed';
  if (status === 'completed' && counters.nodesRead !== plan.totalNodes) {
    warnings.push(
      `read ${counters.nodesRead} nodes but counted ${plan.totalNodes} at the start: the graph changed during the run (dual writes cover the difference)`,
    );
  }
  if (status === 'completed' && run.config.engine.edges && counters.relationshipsRead !== plan.totalRelationships) {
    warnings.push(`read ${counters.relationshipsRead} relationships but counted ${plan.totalRelationships} at the start: the graph changed during the run`);
  }
  if (counters.timestampsDefaulted > 0)
    warnings.push(`${counters.timestampsDefaulted} nodes had no ${run.config.mapping.timestampProperty} and got the run's start time`);
  if (!run.target.capabilities.edges)
    warnings.push(`${run.target.kind} cannot store edges; ${counters.edgesWritten} edges are in the sidecar ${join(run.config.runDir, 'edges.ndjson')}`);
  const code = run.error instanceof MigrateError ? run.error.code : 'INTERNAL';
  return {
    status,
    runId: ctx?.checkpoint.runId ?? '',
    runDir: run.config.runDir,
    target: { kind: run.target.kind, location: run.target.location, edges: run.target.capabilities.edges ? 'stored' : 'sidecar' },
    resumed: run.resumed,
    plan,
    counters,
    rejectsByCode: Object.fromEntries(ctx?.rejects.byCode ?? []),
    rejectSample: ctx?.rejects.sample ?? [],
    embeddingsToGenerate: ctx?.embeddingsToGenerate ?? 0,
    accounted:
      run.dryRun ||
      (counters.nodesRead === counters.memoriesWritten + counters.nodesRejected &&
        counters.relationshipsRead === counters.edgesWritten + counters.relationshipsRejected),
    durationMs,
    nodesPerSecond: durationMs > 0 ? Math.round((counters.nodesRead * 1000) / durationMs) : 0,
    pool: run.poolBusy?.tasks ? run.poolBusy : null,
    warnings,
    error: run.error ? { code, message: redactSecrets(errorMessage(run.error)) } : null,
    dedup: ctx?.dedup?.summary() ?? null,
    preflight: null,
    files: {
      checkpoint: join(run.config.runDir, 'checkpoint.json'),
      rejects: join(run.config.runDir, 'rejects.ndjson'),
      edges: run.target.capabilities.edges ? null : join(run.config.runDir, 'edges.ndjson'),
      dedupMap: ctx?.dedup?.summary().mapFile ?? null,
    },
  };
}
