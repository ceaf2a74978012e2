import type { PartialOptions } from '../config/resolve-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import { backfill } from '../engine/backfill.js';
import type { ProgressEvent } from '../engine/backfill-types.js';
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

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * One timed backfill slice in this process. The outcome is settled at the stop decision, from the last
 * committed batch: what the engine does after that (draining batches in flight, closing the pool) is
 * not measured, so the caller should exit the process at once instead of waiting for it (the slice
 * child does). The engine's signal is aborted too, for callers that keep the process. A slice that
 * ends before any bound (the whole graph) settles from the engine's summary. Peak RSS is this
 * process's, worker and reader threads included.
 */
export async function runSlice(spec: SliceSpec): Promise<SliceOutcome> {
  const config = resolveConfig(spec.config);
  let retries = 0;
  const target = createTarget(config, { overwrite: true, onRetry: () => void retries++ });
  const controller = new AbortController();
  const events: SliceEvent[] = [];
  let planMs = 0;
  let last: ProgressEvent | null = null;
  const started = performance.now();
  let settle: (outcome: SliceOutcome) => void = () => undefined;
  const stopped = new Promise<SliceOutcome>((resolve) => (settle = resolve));
  let stoppedBy: SliceStopReason | null = null;
  const check = (): void => {
    if (stoppedBy !== null) return;
    const reason = sliceStopReason({ elapsedMs: performance.now() - started, nodes: events.at(-1)?.nodes ?? 0, batches: events.length }, spec.limits);
    if (reason === null) return;
    stoppedBy = reason;
    const c = last?.counters;
    settle({
      ok: true,
      error: null,
      stoppedBy: reason,
      planMs,
      events,
      totalNodes: last?.total ?? 0,
      nodesRead: c?.nodesRead ?? 0,
      memoriesWritten: c?.memoriesWritten ?? 0,
      targetRejects: 0,
      retries,
      peakRssMb: peakRssMb(),
      wallMs: performance.now() - started,
    });
    controller.abort(new MigrateError('ABORTED', `tune slice stopped (${reason})`));
  };
  const timer = setInterval(check, TICK_MS);
  const finished = backfill({
    config,
    dryRun: spec.dryRun,
    overwrite: true,
    target,
    signal: controller.signal,
    onProgress: (e) => {
      const atMs = performance.now() - started;
      if (e.phase === 'plan') planMs = atMs;
      if (e.phase !== 'nodes' || stoppedBy !== null) return;
      last = e;
      events.push({ atMs, nodes: e.counters.nodesRead });
      check();
    },
  }).then(
    (summary): SliceOutcome => ({
      ok: summary.error === null,
      error: summary.error ? `${summary.error.code}: ${summary.error.message}` : null,
      stoppedBy: 'end',
      planMs,
      events,
      totalNodes: summary.plan.totalNodes,
      nodesRead: summary.counters.nodesRead,
      memoriesWritten: summary.counters.memoriesWritten,
      targetRejects: summary.rejectsByCode.TARGET_REJECTED ?? 0,
      retries,
      peakRssMb: peakRssMb(),
      wallMs: performance.now() - started,
    }),
  );
  try {
    return await Promise.race([stopped, finished]);
  } finally {
    clearInterval(timer);
  }
}
