/**
 * The backfill's dedup preflight: with `preflight` (and prediction on), a dry pass over the whole plan
 * first, then the run unless `refuse` and a drop is predicted; and the guard each pass uses.
 */
import type { ResolvedConfig } from '../config/config-schema.js';
import type { BackfillOptions } from '../engine/backfill.js';
import type { BackfillSummary } from '../engine/backfill-types.js';
import { NdjsonAppender } from '../shared/ndjson-appender.js';
import { type DedupBackend, DedupThread } from './dedup-backend.js';
import { DedupGuard, dedupMode } from './dedup-guard.js';
import { dedupMapPath } from './dedup-map.js';

/** A failed summary when `refuse` and the dry run predicted drops; else the summary as it is. */
function refused(s: BackfillSummary, config: ResolvedConfig): BackfillSummary {
  const d = (s.status === 'dry-run' ? s.dedup : null) ?? { dropped: 0, examples: [] };
  if (dedupMode(config.target) !== 'refuse' || d.dropped === 0) return s;
  const e = d.examples[0]!;
  const message = `the preflight predicts that the target drops ${d.dropped} memories as near-duplicates (cosine ≥ 0.95), e.g. ${e.id} in space ${e.space} for ${e.survivor} (cosine ${e.cosine.toFixed(4)}); nothing was written. Make the embeddings distinct (mapping.textProperties) or run with --on-dedup record`;
  return { ...s, status: 'failed', error: { code: 'DEDUP_PREDICTED', message } };
}

/** Runs `run` (one backfill pass) with the preflight the options ask for. */
export async function withPreflight(options: BackfillOptions, run: (o: BackfillOptions) => Promise<BackfillSummary>): Promise<BackfillSummary> {
  const { config } = options;
  if (options.dryRun) return refused(await run(options), config);
  if (!options.preflight || dedupMode(config.target) === 'off') return { ...(await run(options)), preflight: null };
  // The pass stops its limiter and closes its target when it ends: it gets its own, and no batch callback.
  const pre = await run({ ...options, dryRun: true, resume: false, limiter: undefined, target: undefined, onBatchCommitted: undefined });
  if (pre.status !== 'dry-run') return pre;
  const stop = refused(pre, config);
  if (stop !== pre) return { ...stop, preflight: pre.dedup };
  return { ...(await run(options)), preflight: pre.dedup };
}

/** Whether a pass predicts near-duplicate drops: not when `off`, nor in a dry run without preflight. */
export function predictsDedup(config: ResolvedConfig, pass: { dryRun: boolean; preflight: boolean }): boolean {
  return dedupMode(config.target) !== 'off' && !(pass.dryRun && !pass.preflight);
}

/**
 * The guard of one pass, or null when it predicts nothing (see {@link predictsDedup}). `backend`: a predictor
 * thread started earlier (the backfill starts it with its other threads), which the guard then owns.
 */
export async function createDedupGuard(
  config: ResolvedConfig,
  pass: { dryRun: boolean; preflight: boolean; resumed: boolean; mapLength: number },
  backend?: DedupBackend,
): Promise<DedupGuard | null> {
  const mode = dedupMode(config.target);
  if (mode === 'off' || !predictsDedup(config, pass)) return null;
  return new DedupGuard({
    // A dry run is the preflight: it goes through every batch; refusing is decided on its summary.
    mode: pass.dryRun ? 'record' : mode,
    confidence: config.mapping.strength,
    map: pass.dryRun ? null : await NdjsonAppender.open(dedupMapPath(config.runDir), pass.mapLength),
    backend: backend ?? new DedupThread(),
    resumed: pass.resumed,
  });
}
