import type { Projection, SliceEvent, SliceMeasurement } from './tune-types.js';

export interface ProjectionInput {
  measurement: SliceMeasurement;
  /** The slice's first committed batch (start-up: plan, pool start, pipeline fill). */
  first: SliceEvent | null;
  /** Nodes of the whole backfill (counted in Neo4j, or given). */
  nodes: number;
  batchSize: number;
  pauseMs: number;
  /** Whether the measured rate already includes the pause per batch (false for dry-run slices, which never pause). */
  pauseMeasured: boolean;
}

/**
 * The article's arithmetic ("10M nodes / 10K per batch = 1,000 batches; 100 ms sleep between batches =
 * 100 s; ~500 ms per batch = 500 s") with measured numbers: batches = ⌈nodes / batch⌉, time per batch =
 * batch / measured rate, split into the configured pause and the rest, plus the measured start-up.
 */
export function projectBackfill(input: ProjectionInput): Projection {
  const { measurement: m, nodes, batchSize, pauseMs } = input;
  const batches = Math.ceil(nodes / batchSize);
  const rate = m.recordsPerSecond;
  if (rate <= 0 || nodes <= 0) {
    return {
      nodes,
      batches,
      perBatchMs: 0,
      processingMsPerBatch: 0,
      pauseMs,
      pauseSeconds: 0,
      processingSeconds: 0,
      startupSeconds: 0,
      totalSeconds: nodes > 0 ? Infinity : 0,
    };
  }
  const measuredPerBatchMs = (Math.min(batchSize, nodes) * 1000) / rate;
  const processingMsPerBatch = input.pauseMeasured ? Math.max(0, measuredPerBatchMs - pauseMs) : measuredPerBatchMs;
  const perBatchMs = processingMsPerBatch + pauseMs;
  // Time spent before the first batch that steady-state batches do not explain.
  const startupMs = input.first ? Math.max(0, input.first.atMs - (input.first.nodes * processingMsPerBatch) / Math.min(batchSize, nodes)) : 0;
  const processingSeconds = (nodes * processingMsPerBatch) / Math.min(batchSize, nodes) / 1000;
  const pauseSeconds = (batches * pauseMs) / 1000;
  return {
    nodes,
    batches,
    perBatchMs,
    processingMsPerBatch,
    pauseMs,
    pauseSeconds,
    processingSeconds,
    startupSeconds: startupMs / 1000,
    totalSeconds: startupMs / 1000 + processingSeconds + pauseSeconds,
  };
}

/** "10000000 / 10000 = 1000 batches; 1000 × 100 ms pause = 100 s; 1000 × 412 ms = 412 s; start 3 s; total 515 s (8.6 min)". */
export function describeProjection(p: Projection, batchSize: number): string {
  if (!Number.isFinite(p.totalSeconds)) return `${p.nodes} nodes: no batch committed, cannot project`;
  const s = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  return (
    `${p.nodes} / ${batchSize} = ${p.batches} batches; ${p.batches} × ${p.pauseMs} ms pause = ${s(p.pauseSeconds)} s; ` +
    `${p.batches} × ${s(p.processingMsPerBatch)} ms processing = ${s(p.processingSeconds)} s; start ${s(p.startupSeconds)} s; ` +
    `total ${formatDuration(p.totalSeconds)}`
  );
}

/** 42 s, 8.6 min, 2.4 h. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '∞';
  if (seconds < 120) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
