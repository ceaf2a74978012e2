import type { RejectCode, RejectRecord } from '../mapping/types.js';
import type { DedupSummary } from '../dedup/dedup-guard.js';
import type { BackfillPlan } from './plan.js';
import type { RunCounters } from './checkpoint-store.js';
import type { PoolBusy } from './worker-pool.js';

export type BackfillPhase = 'plan' | 'nodes' | 'edges' | 'finish' | 'done';

/** Emitted after every acknowledged batch (and at phase changes). */
export interface ProgressEvent {
  phase: BackfillPhase;
  label: string | null;
  /** Records of this phase done so far (nodes or relationships), over all labels. */
  done: number;
  total: number;
  counters: RunCounters;
}

export type BackfillStatus = 'completed' | 'dry-run' | 'aborted' | 'failed';

/** What `backfill` returns (and the CLI prints as JSON). */
export interface BackfillSummary {
  status: BackfillStatus;
  runId: string;
  runDir: string;
  target: { kind: string; location: string; edges: 'stored' | 'sidecar' };
  resumed: boolean;
  plan: BackfillPlan;
  counters: RunCounters;
  rejectsByCode: Partial<Record<RejectCode, number>>;
  rejectSample: RejectRecord[];
  /** Dry run: embeddings that would have been generated. */
  embeddingsToGenerate: number;
  /** Every node read is either written or rejected; false means something is unaccounted for. */
  accounted: boolean;
  durationMs: number;
  nodesPerSecond: number;
  /** The worker pool's busy share while it had work (mapping, generation, encoding); null when it never ran. */
  pool: PoolBusy | null;
  warnings: string[];
  error: { code: string; message: string } | null;
  /** Near-duplicate drops the run predicted before each batch (null: --on-dedup off, or a dry run without preflight). */
  dedup: DedupSummary | null;
  /** The --preflight pass before a run (null: none). */
  preflight: DedupSummary | null;
  files: { checkpoint: string; rejects: string; edges: string | null; dedupMap: string | null };
}
