import { setOwn } from '../shared/own.js';
import type { ResolvedConfig } from '../config/config-schema.js';
import type { Neo4jSource } from '../source/neo4j-source.js';
import type { Target } from '../target/target.js';
import type { NdjsonAppender } from '../shared/ndjson-appender.js';
import type { BackfillPhase, ProgressEvent } from './backfill-types.js';
import type { Checkpoint, CheckpointStore, LabelProgress } from './checkpoint-store.js';
import type { BackfillPlan, DuplicateIndex, LabelPlan } from './plan.js';
import type { RejectLog } from './reject-log.js';
import type { WorkerPool } from './worker-pool.js';
import type { ReaderPool } from './reader-pool.js';
import type { WriteLimiter } from './write-limiter.js';
import type { DedupGuard } from '../dedup/dedup-guard.js';

/** A batch of memories the target acknowledged; for validation during a backfill. */
export interface CommittedBatch {
  label: string;
  ids: string[];
  spaces: string[];
  /** Row r of `embeddings` belongs to memory i where rows[i] = r. */
  rows: Uint32Array;
  embeddings: Float32Array;
  memoriesWritten: number;
}

/** What the phases of one backfill share. */
export interface RunContext {
  config: ResolvedConfig;
  source: Neo4jSource;
  target: Target;
  pool: WorkerPool;
  /** Reader threads when the source is read in parallel node-id ranges; null = the main thread reads. */
  readers: ReaderPool | null;
  limiter: WriteLimiter;
  plan: BackfillPlan;
  /** Per label: element id → why the node lost its key to another (rejected as DUPLICATE_KEY). */
  duplicates: DuplicateIndex;
  checkpoint: Checkpoint;
  store: CheckpointStore;
  rejects: RejectLog;
  /** Edges go here when the target cannot hold them. */
  edgeSidecar: NdjsonAppender | null;
  /** Predicts the target's near-duplicate drops before each batch is written; null: --on-dedup off. */
  dedup: DedupGuard | null;
  dryRun: boolean;
  signal: AbortSignal;
  onProgress: (event: ProgressEvent) => void;
  onBatchCommitted: ((batch: CommittedBatch) => Promise<void> | void) | undefined;
  embeddingsToGenerate: number;
  /** The run continues a checkpoint: the first batch of each range may have been written before the crash, unchecked. */
  resumed: boolean;
}

export function labelProgress(ctx: RunContext, label: string): LabelProgress {
  const labels = ctx.checkpoint.labels;
  if (!Object.hasOwn(labels, label)) setOwn(labels, label, { ranges: null, nodesDone: false, keyChecked: false });
  return labels[label]!;
}

/** Makes the target, the reject log and the sidecar durable, then records the checkpoint (in that order). */
export async function saveCheckpoint(ctx: RunContext): Promise<void> {
  if (ctx.dryRun) return;
  ctx.checkpoint.targetState = await ctx.target.state();
  ctx.checkpoint.rejectLogLength = await ctx.rejects.sync();
  ctx.checkpoint.edgeSidecarLength = ctx.edgeSidecar ? await ctx.edgeSidecar.sync() : 0;
  ctx.checkpoint.dedupMapLength = ctx.dedup ? await ctx.dedup.sync() : 0;
  await ctx.store.save(ctx.checkpoint);
}

export function emitProgress(ctx: RunContext, phase: BackfillPhase, label: LabelPlan | null): void {
  const c = ctx.checkpoint.counters;
  const nodes = phase === 'nodes' || phase === 'plan';
  ctx.onProgress({
    phase,
    label: label?.label ?? null,
    done: nodes ? c.nodesRead : c.relationshipsRead,
    total: nodes ? ctx.plan.totalNodes : ctx.plan.totalRelationships,
    counters: { ...c },
  });
}
