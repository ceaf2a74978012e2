/** Types shared by the tune command's parts (grid, slice runner, measurement, projection, report). */

/** One point of the grid: the knobs a slice runs with. */
export interface TuneSetting {
  batchSize: number;
  workers: number;
  inferenceThreads: number;
  /** Concurrent HTTP requests to Engram; null for the bundle target (no requests). */
  concurrency: number | null;
}

/** A committed node batch as the slice saw it: ms since the slice's backfill started, nodes read so far. */
export interface SliceEvent {
  atMs: number;
  nodes: number;
}

/** When a slice stops. */
export interface SliceLimits {
  /** Soft time bound: stop after this once `minBatches` batches are in. */
  sliceMs: number;
  /** Soft node bound, same rule. */
  sliceNodes: number;
  /** Hard bounds: stop whatever the batch count (scratch-space capacity, runaway slices). */
  nodeCap: number;
  hardMs: number;
  /** Batches needed for a steady-state rate (the first batch carries the pipeline fill). */
  minBatches: number;
}

export type SliceStopReason = 'time' | 'nodes' | 'node-cap' | 'hard-time' | 'end';

/** What a slice child process reports (one JSON line on stdout). */
export interface SliceOutcome {
  ok: boolean;
  /** Why the slice failed (ok = false), or the engine's error after the slice was stopped (ok = true). */
  error: string | null;
  stoppedBy: SliceStopReason;
  /** ms from the start of `backfill()` to its plan event (counts, pool start). */
  planMs: number;
  /** Committed node batches up to the stop decision (later batches drain without pauses and are not measured). */
  events: SliceEvent[];
  totalNodes: number;
  nodesRead: number;
  memoriesWritten: number;
  /** Records the target refused (4xx). */
  targetRejects: number;
  /** Retried requests (the Engram client's onRetry). */
  retries: number;
  peakRssMb: number;
  wallMs: number;
}

/** Figures of one slice, from its events. */
export interface SliceMeasurement {
  /** Steady-state records/s: between the first and the last measured batch (includes the pause per batch). */
  recordsPerSecond: number;
  /** P99 of the time between consecutive committed batches (nearest rank). */
  p99BatchMs: number;
  /** ms from the slice start to its first committed batch (plan, pool start, pipeline fill). */
  firstBatchMs: number;
  batches: number;
  nodes: number;
  /** Retries and refusals per write attempt. */
  errorRate: number;
}

/** The article's arithmetic for the whole graph, from one slice's measurements. */
export interface Projection {
  nodes: number;
  batches: number;
  /** Mean time per batch (processing plus pause). */
  perBatchMs: number;
  processingMsPerBatch: number;
  pauseMs: number;
  pauseSeconds: number;
  processingSeconds: number;
  startupSeconds: number;
  totalSeconds: number;
}

export interface SliceResult {
  setting: TuneSetting;
  outcome: SliceOutcome;
  measurement: SliceMeasurement;
  projection: Projection;
}

export interface RecommendOptions {
  /** Slices whose error rate is above this are not recommended (article: error rate < 0.1%). */
  maxErrorRate: number;
  /** Slices whose peak RSS is above this are not recommended; null = no limit. */
  maxRssMb: number | null;
  /** Settings within this fraction of the fastest projection count as equally fast (measurement noise). */
  tolerance: number;
}

export interface Recommendation {
  setting: TuneSetting;
  result: SliceResult;
  reason: string;
}
