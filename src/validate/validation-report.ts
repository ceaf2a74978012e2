/** Report of one validation sweep, and the threshold logic that decides pass or fail. */

export const REPORT_FORMAT = 'engram-migrate-validation';
export const REPORT_VERSION = 1;

/** Cosine at or above which Engram treats two memories as duplicates (docs: engram-api.md). */
export const DEDUP_COSINE = 0.95;

/**
 * Why a sampled memory failed a check. `lost-to-dedup`: the target holds a near-duplicate (cosine ≥ 0.95)
 * under another id in the same space; `lost-to-eviction`: the space is at capacity; `missing`: neither.
 */
export type FaultKind = 'missing' | 'lost-to-dedup' | 'lost-to-eviction' | 'embedding-mismatch' | 'content-mismatch' | 'edge-count-mismatch';

/** A sampled memory missing because the target kept a near-duplicate, as the run's dedup map says. */
export interface ExpectedDrop {
  label: string;
  space: string;
  id: string;
  /** The memory that holds it (for a predicted survivor found missing: one of its near-duplicates landed first). */
  survivor: string;
  detail: string;
}

export interface ValidationFault {
  kind: FaultKind;
  label: string;
  space: string;
  id: string;
  detail: string;
  /** lost-to-dedup: the memory that holds it now. */
  duplicateOf?: string;
  cosine?: number;
  expected?: number;
  actual?: number;
}

/** Failure thresholds; rates are fractions and a check fails when its rate exceeds the maximum. */
export interface ValidationThresholds {
  maxMissingRate: number;
  maxEmbeddingMismatchRate: number;
  maxEdgeMismatchRate: number;
  /** Rejected records (nodes; relationships) over those in Neo4j; 0 = any reject fails validation. */
  maxRejectedRate: number;
  maxContentMismatchRate: number;
  /** Per space: |target − expected| / expected. Only applied when the expectation is exact (reject log read). */
  maxCountDifferenceRate: number;
  minCosine: number;
}

export interface ValidationCounters {
  sampled: number;
  /** Sampled, then gone from Neo4j before their nodes were fetched (a live graph). */
  vanished: number;
  /** The mapping itself rejects them (bad embedding, empty content, duplicate key...): not expected in the target. */
  rejectedByMapping: number;
  /** The target refused them at write time (in the run's reject log): not expected in the target. */
  rejectedAtWrite: number;
  /** Sampled nodes the target should hold. */
  expected: number;
  present: number;
  missing: number;
  lostToDedup: number;
  /** Missing, and in the run's dedup map: dropped by the target as a near-duplicate, as predicted (not a loss). */
  droppedAsPredicted: number;
  lostToEviction: number;
  embeddingChecked: number;
  embeddingMismatch: number;
  /** Present, but the target gave no embedding back for them (Engram by-id reads). */
  embeddingUnread: number;
  /** Expected embeddings generated again with the run's model (nodes without one in Neo4j). */
  regenerated: number;
  /** Of `regenerated`, nodes whose stored embedding had another width (mapping.onWrongWidth: regenerate). */
  regeneratedWrongWidth: number;
  contentChecked: number;
  contentMismatch: number;
  edgeChecked: number;
  edgeMismatch: number;
}

export type CheckStatus = 'pass' | 'fail' | 'not-verifiable';

export interface CheckResult {
  name: 'missing' | 'embedding' | 'content' | 'edges' | 'space-counts' | 'migrated' | 'rejected-nodes' | 'relationships';
  status: CheckStatus;
  /** Failures / checked; null when nothing could be checked. */
  rate: number | null;
  threshold: number;
  failures: number;
  checked: number;
  note: string;
}

export interface SpaceCount {
  space: string;
  labels: string[];
  /** Nodes Neo4j holds under the space's labels (with the engine's label order). */
  neo4j: number;
  /** Node rejects of the run's reject log for this space; null when no reject log was read. */
  rejected: number | null;
  /** Memories the space held before the backfill (from the run's checkpoint). */
  existingAtStart: number;
  expected: number;
  target: number;
  difference: number;
  capacity: number | null;
  atCapacity: boolean;
  /** True when `expected` is exact (the reject log was read); otherwise the difference is informational. */
  exact: boolean;
}

export interface ValidationReport {
  format: typeof REPORT_FORMAT;
  version: number;
  /** `sweep`: a sample of the whole graph; `in-flight`: a sample of what a running backfill just wrote. */
  mode: 'sweep' | 'in-flight';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  runDir: string;
  target: { kind: string; location: string };
  sample: {
    seed: number;
    requested: number;
    population: number;
    sampled: number;
    repeatedKeys: number;
    byLabel: Record<string, { population: number; sampled: number }>;
  };
  thresholds: ValidationThresholds;
  counters: ValidationCounters;
  checks: CheckResult[];
  spaces: SpaceCount[];
  /** The first faults found (see `faultsListed`); counts are in `counters`. */
  faults: ValidationFault[];
  faultsByKind: Partial<Record<FaultKind, number>>;
  /** The first sampled memories the target dropped as near-duplicates as the run's dedup map predicted (expected). */
  expectedDrops?: ExpectedDrop[];
  rejectedByMappingByCode: Record<string, number>;
  /** Wall time per phase, ms. */
  timings: Record<string, number>;
  /** What this report does and does not cover. */
  notes: string[];
  passed: boolean;
}

/** All counters at zero. */
export function emptyCounters(): ValidationCounters {
  return {
    sampled: 0,
    vanished: 0,
    rejectedByMapping: 0,
    rejectedAtWrite: 0,
    expected: 0,
    present: 0,
    missing: 0,
    lostToDedup: 0,
    droppedAsPredicted: 0,
    lostToEviction: 0,
    embeddingChecked: 0,
    embeddingMismatch: 0,
    embeddingUnread: 0,
    regenerated: 0,
    regeneratedWrongWidth: 0,
    contentChecked: 0,
    contentMismatch: 0,
    edgeChecked: 0,
    edgeMismatch: 0,
  };
}

function rateCheck(name: CheckResult['name'], failures: number, checked: number, threshold: number, note: string): CheckResult {
  if (checked === 0) return { name, status: 'not-verifiable', rate: null, threshold, failures, checked, note: `nothing to check; ${note}` };
  const rate = failures / checked;
  return { name, status: rate > threshold ? 'fail' : 'pass', rate, threshold, failures, checked, note };
}

/**
 * Turns counters and space counts into checks. A check fails when its rate exceeds its threshold;
 * edges on a target without edges are `not-verifiable`, never `pass`.
 */
export function evaluateChecks(
  c: ValidationCounters,
  spaces: readonly SpaceCount[],
  t: ValidationThresholds,
  target: { edges: boolean; inFlight?: boolean },
): CheckResult[] {
  const lost = c.missing + c.lostToDedup + c.lostToEviction;
  const checks: CheckResult[] = [
    rateCheck(
      'missing',
      lost,
      c.expected,
      t.maxMissingRate,
      `${c.missing} missing, ${c.lostToDedup} lost to target dedup, ${c.lostToEviction} lost to eviction` +
        (c.droppedAsPredicted ? `; ${c.droppedAsPredicted} dropped as near-duplicates as the run's dedup map predicted (expected, not counted)` : ''),
    ),
    rateCheck(
      'embedding',
      c.embeddingMismatch,
      c.embeddingChecked,
      t.maxEmbeddingMismatchRate,
      `cosine < ${t.minCosine}; ${c.embeddingUnread} present without a readable embedding`,
    ),
    rateCheck('content', c.contentMismatch, c.contentChecked, t.maxContentMismatchRate, 'content differs from what the mapping produces'),
  ];
  if (target.edges) {
    checks.push(
      rateCheck(
        'edges',
        c.edgeMismatch,
        c.edgeChecked,
        t.maxEdgeMismatchRate,
        'outgoing edge count differs from the relationships the mapping turns into edges',
      ),
    );
  } else {
    checks.push({
      name: 'edges',
      status: 'not-verifiable',
      rate: null,
      threshold: t.maxEdgeMismatchRate,
      failures: 0,
      checked: 0,
      note: target.inFlight
        ? 'edges are written after the nodes; not checked during the backfill'
        : 'not verifiable on this target: Engram has no edge API (edges are in the run sidecar)',
    });
  }
  const exact = spaces.filter((s) => s.exact);
  const off = exact.filter((s) => Math.abs(s.difference) > t.maxCountDifferenceRate * Math.max(1, s.expected));
  if (exact.length === 0) {
    checks.push({
      name: 'space-counts',
      status: 'not-verifiable',
      rate: null,
      threshold: t.maxCountDifferenceRate,
      failures: 0,
      checked: 0,
      note: spaces.length === 0 ? 'no spaces' : 'no reject log: the expected counts are not exact (differences are listed per space)',
    });
  } else {
    const worst = Math.max(...exact.map((s) => Math.abs(s.difference) / Math.max(1, s.expected)));
    checks.push({
      name: 'space-counts',
      status: off.length > 0 ? 'fail' : 'pass',
      rate: worst,
      threshold: t.maxCountDifferenceRate,
      failures: off.length,
      checked: exact.length,
      note: 'spaces whose memory count differs from Neo4j minus rejects',
    });
  }
  return checks;
}

/** What the backfill's run directory says about the whole graph (not a sample): rejects and relationship counts. */
export interface RunAccounting {
  /** Nodes in Neo4j under the run's labels. */
  nodes: number;
  /** Node rejects of the reject log (null: no log was found) and their codes. */
  nodesRejected: number | null;
  rejectsByCode: Record<string, number>;
  /** Outgoing relationships of the run's labels in Neo4j now. */
  relationships: number;
  /** The run's relationship counters (null: no checkpoint, or edges were not migrated). */
  relationshipCounters: { read: number; written: number; rejected: number } | null;
}

/**
 * Checks over the whole run rather than the sample: something was migrated at all; node rejects stay
 * within `maxRejectedRate` (default 0: a rejected record fails validation, it is not "expected"); every
 * relationship read was written or rejected, and rejects stay within the same rate.
 */
export function evaluateRunChecks(run: RunAccounting, spaces: readonly SpaceCount[], t: ValidationThresholds): CheckResult[] {
  const held = spaces.reduce((n, s) => n + s.target, 0);
  const codes = Object.entries(run.rejectsByCode)
    .map(([code, n]) => `${n} × ${code}`)
    .join(', ');
  const checks: CheckResult[] = [
    run.nodes > 0 && held === 0
      ? {
          name: 'migrated',
          status: 'fail',
          rate: 1,
          threshold: 0,
          failures: run.nodes,
          checked: run.nodes,
          note: `Neo4j holds ${run.nodes} nodes under the run's labels, the target holds none of their spaces' memories`,
        }
      : {
          name: 'migrated',
          status: 'pass',
          rate: 0,
          threshold: 0,
          failures: 0,
          checked: run.nodes,
          note: `the target holds ${held} memories in the run's spaces`,
        },
  ];
  if (run.nodesRejected === null) {
    checks.push({
      name: 'rejected-nodes',
      status: 'not-verifiable',
      rate: null,
      threshold: t.maxRejectedRate,
      failures: 0,
      checked: run.nodes,
      note: 'no reject log found next to the run',
    });
  } else {
    checks.push(
      rateCheck(
        'rejected-nodes',
        run.nodesRejected,
        run.nodes,
        t.maxRejectedRate,
        codes === '' ? 'no node was rejected' : `rejected by the backfill: ${codes} (see the run's rejects.ndjson)`,
      ),
    );
  }
  const r = run.relationshipCounters;
  if (r === null) {
    checks.push({
      name: 'relationships',
      status: 'not-verifiable',
      rate: null,
      threshold: t.maxRejectedRate,
      failures: 0,
      checked: run.relationships,
      note: 'no checkpoint with relationship counts (edges not migrated, or no run directory)',
    });
  } else {
    const unaccounted = r.read - r.written - r.rejected;
    const check = rateCheck(
      'relationships',
      r.rejected + Math.abs(unaccounted),
      Math.max(r.read, run.relationships),
      t.maxRejectedRate,
      `Neo4j ${run.relationships}, read ${r.read}, written ${r.written}, rejected ${r.rejected}${unaccounted !== 0 ? `, ${unaccounted} unaccounted` : ''}${r.read !== run.relationships ? ' (the graph changed since the run, or the run did not finish)' : ''}`,
    );
    checks.push(unaccounted !== 0 ? { ...check, status: 'fail' } : check);
  }
  return checks;
}

/** The process exit status a report calls for: true when no check failed. */
export function reportPassed(checks: readonly CheckResult[]): boolean {
  return checks.every((c) => c.status !== 'fail');
}
