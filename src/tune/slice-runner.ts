import type { PartialOptions } from '../config/resolve-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import { backfill } from '../engine/backfill.js';
import { MigrateError } from '../errors.js';
import { createTarget } from '../target/create-target.js';
import { sliceStopReason } from './slice-measurement.js';
import type { SliceEvent, SliceLimits, SliceOutcome, SliceStopReason } from './tune-types.js';

/** What the parent sends a slice child on stdin. */
export interface SliceSpec {
  /** A resolved config (plain data); resolved again in the child. */
  config: PartialOptions;
  dryRun: boolean;
  limits: SliceLimits;
}

/** How often time bounds are checked between batches. */
const TICK_MS = 100;

/**
 * One timed backfill slice in this process: the engine runs with the slice's settings and is stopped
 * through its AbortSignal once a bound is reached. Batches committed after the stop decision drain
 * without the pause and are left out of the events. Peak RSS is this process's (threads included).
 */
export async function runSlice(spec: SliceSpec): Promise<SliceOutcome> {
  const config = resolveConfig(spec.config);
  let retries = 0;
  const target = createTarget(config, { overwrite: true, onRetry: () => void retries++ });
  const controller = new AbortController();
  const events: SliceEvent[] = [];
  let planMs = 0;
  let stoppedBy: SliceStopReason | null = null;
  const started = performance.now();
  const check = (): void => {
    if (stoppedBy !== null) return;
    const reason = sliceStopReason({ elapsedMs: performance.now() - started, nodes: events.at(-1)?.nodes ?? 0, batches: events.length }, spec.limits);
    if (reason === null) return;
    stoppedBy = reason;
    controller.abort(new MigrateError('ABORTED', `tune slice stopped (${reason})`));
  };
  const timer = setInterval(check, TICK_MS);
  let summary;
  try {
    summary = await backfill({
      config,
      dryRun: spec.dryRun,
      overwrite: true,
      target,
      signal: controller.signal,
      onProgress: (e) => {
        const atMs = performance.now() - started;
        if (e.phase === 'plan') planMs = atMs;
        if (e.phase !== 'nodes' || stoppedBy !== null) return;
        events.push({ atMs, nodes: e.counters.nodesRead });
        check();
      },
    });
  } finally {
    clearInterval(timer);
  }
  const stopped = stoppedBy !== null;
  const error = summary.error ? `${summary.error.code}: ${summary.error.message}` : null;
  return {
    // An error after the stop is the abort surfacing through an in-flight write.
    ok: summary.error === null || stopped,
    error,
    stoppedBy: stoppedBy ?? 'end',
    planMs,
    events,
    totalNodes: summary.plan.totalNodes,
    nodesRead: summary.counters.nodesRead,
    memoriesWritten: summary.counters.memoriesWritten,
    targetRejects: summary.rejectsByCode.TARGET_REJECTED ?? 0,
    retries,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    wallMs: performance.now() - started,
  };
}
