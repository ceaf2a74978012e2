import { formatDuration } from './projection.js';
import type { Recommendation, RecommendOptions, SliceResult, TuneSetting } from './tune-types.js';

/** Defaults of {@link RecommendOptions}: the article's error-rate bar, no memory limit, 10% noise band. */
export const DEFAULT_RECOMMEND_OPTIONS: RecommendOptions = { maxErrorRate: 0.001, maxRssMb: null, tolerance: 0.1 };

/** Why a slice cannot be recommended; null when it can. */
export function ineligibility(r: SliceResult, options: RecommendOptions): string | null {
  if (!r.outcome.ok) return `failed: ${r.outcome.error ?? 'unknown error'}`;
  if (r.measurement.batches === 0 || r.measurement.recordsPerSecond <= 0) return 'no batch committed';
  if (r.measurement.errorRate > options.maxErrorRate)
    return `error rate ${(r.measurement.errorRate * 100).toFixed(2)}% > ${(options.maxErrorRate * 100).toFixed(2)}%`;
  if (options.maxRssMb !== null && r.outcome.peakRssMb > options.maxRssMb) return `peak RSS ${r.outcome.peakRssMb} MB > ${options.maxRssMb} MB`;
  return null;
}

/** Lighter first: fewer target connections, fewer threads, less memory, then the faster projection. */
function lighter(a: SliceResult, b: SliceResult): number {
  const sa = a.setting;
  const sb = b.setting;
  return (
    (sa.concurrency ?? 0) - (sb.concurrency ?? 0) ||
    sa.workers * sa.inferenceThreads - sb.workers * sb.inferenceThreads ||
    a.outcome.peakRssMb - b.outcome.peakRssMb ||
    a.projection.totalSeconds - b.projection.totalSeconds
  );
}

export function settingLabel(s: TuneSetting): string {
  return `batch ${s.batchSize}, ${s.workers} worker${s.workers === 1 ? '' : 's'} × ${s.inferenceThreads} thread${s.inferenceThreads === 1 ? '' : 's'}${s.concurrency === null ? '' : `, ${s.concurrency} connections`}`;
}

/**
 * The setting to use: among slices that succeeded within the error-rate and memory limits, those whose
 * projected full-backfill time is within `tolerance` of the fastest count as equally fast (the
 * measurements are that noisy); of these the lightest wins: fewer connections to the target (the
 * article: don't overwhelm it), fewer threads, less memory. Null when no slice qualifies.
 */
export function recommend(results: readonly SliceResult[], options: RecommendOptions = DEFAULT_RECOMMEND_OPTIONS): Recommendation | null {
  const eligible = results.filter((r) => ineligibility(r, options) === null);
  if (eligible.length === 0) return null;
  const fastest = eligible.reduce((a, r) => (r.projection.totalSeconds < a.projection.totalSeconds ? r : a));
  const bound = fastest.projection.totalSeconds * (1 + options.tolerance);
  const near = eligible.filter((r) => r.projection.totalSeconds <= bound).sort(lighter);
  const pick = near[0]!;
  const reason =
    pick === fastest
      ? `fastest projected backfill (${formatDuration(pick.projection.totalSeconds)}) of ${eligible.length} eligible settings`
      : `projected ${formatDuration(pick.projection.totalSeconds)}, within ${Math.round(options.tolerance * 100)}% of the fastest (${formatDuration(fastest.projection.totalSeconds)}, ${settingLabel(fastest.setting)}) and lighter on the target, threads or memory`;
  return { setting: pick.setting, result: pick, reason };
}
