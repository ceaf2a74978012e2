import type { SliceEvent, SliceLimits, SliceMeasurement, SliceOutcome, SliceStopReason } from './tune-types.js';

/** Nearest-rank percentile (p in 0..100) of `values`; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/**
 * Whether a running slice should stop now. Soft bounds (time, nodes) wait for `minBatches` committed
 * batches so that a steady-state rate exists; hard bounds (node cap, hard time) do not wait.
 */
export function sliceStopReason(state: { elapsedMs: number; nodes: number; batches: number }, limits: SliceLimits): SliceStopReason | null {
  if (state.nodes >= limits.nodeCap) return 'node-cap';
  if (state.elapsedMs >= limits.hardMs) return 'hard-time';
  if (state.batches < limits.minBatches) return null;
  if (state.nodes >= limits.sliceNodes) return 'nodes';
  if (state.elapsedMs >= limits.sliceMs) return 'time';
  return null;
}

/** Committed batches needed before the rate is taken between the first and the last of them. */
export const STEADY_MIN_BATCHES = 4;

/**
 * Records/s, P99 batch interval and error rate of one slice. With {@link STEADY_MIN_BATCHES} batches or
 * more the rate is taken between the first and the last, so the one-off start (plan, pool and model,
 * pipeline fill) does not count against big batches; with fewer (parallel readers commit ragged pages,
 * so two events can be 1,000 nodes and 1 node apart) it is every node over the time since the plan.
 */
export function measureSlice(outcome: Pick<SliceOutcome, 'planMs' | 'events' | 'retries' | 'memoriesWritten' | 'targetRejects'>): SliceMeasurement {
  const events = [...outcome.events].sort((a, b) => a.atMs - b.atMs);
  const attempts = outcome.memoriesWritten + outcome.targetRejects + outcome.retries;
  const errorRate = attempts > 0 ? (outcome.retries + outcome.targetRejects) / attempts : 0;
  const first = events[0];
  if (!first) return { recordsPerSecond: 0, p99BatchMs: 0, firstBatchMs: 0, batches: 0, nodes: 0, errorRate };
  const last = events[events.length - 1]!;
  const intervals = events.length > 1 ? events.slice(1).map((e, i) => e.atMs - events[i]!.atMs) : [first.atMs - outcome.planMs];
  const steady = events.length >= STEADY_MIN_BATCHES;
  const span = steady ? last.atMs - first.atMs : last.atMs - outcome.planMs;
  const counted = steady ? last.nodes - first.nodes : last.nodes;
  return {
    recordsPerSecond: span > 0 ? (counted * 1000) / span : 0,
    p99BatchMs: percentile(intervals, 99),
    firstBatchMs: first.atMs,
    batches: events.length,
    nodes: last.nodes,
    errorRate,
  };
}

/** First event of a slice (for the projection's start-up term). */
export function firstEvent(events: readonly SliceEvent[]): SliceEvent | null {
  return events.reduce<SliceEvent | null>((a, e) => (a === null || e.atMs < a.atMs ? e : a), null);
}
