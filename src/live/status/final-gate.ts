import type { CutoverState } from '../cutover/cutover-state.js';
import type { DlqStats } from '../dlq/dlq-state.js';

/** One space's memories on both sides. Engram keeps what Neo4j deleted (it cannot delete): those are the tombstones. */
export interface SpaceCount {
  space: string;
  neo4j: number;
  /** Distinct ids (Engram's `tier_counts.hot` counts versions, not memories). */
  engram: number;
  /** Tombstoned ids of the space that Engram still holds. */
  tombstonesInEngram: number;
}

/** What the final gate looks at before Neo4j is archived. */
export interface FinalGateEvidence {
  cutover: CutoverState | null;
  /** The dual writer's queue of writes for Engram (before the cutover). */
  forwardDlq: DlqStats | null;
  /** The reverse dual writer's queue (Engram primary, writes for Neo4j): null when none has run. */
  reverseDlq: DlqStats | null;
  counts: SpaceCount[];
  /** Rolling shadow overlap from the service, when known. */
  shadowOverlap?: number | null;
  /**
   * When the checks were first all green in the current streak, as recorded by the previous runs
   * (`recordGateCheck`); null or absent: not green before (the streak starts with this check).
   */
  greenSince?: string | null;
  now: number;
}

export interface FinalGateOptions {
  /** Hours the checks must have stayed green (measured from the streak's first green check) before Neo4j may go (default 72). */
  minHours?: number;
  /** Lowest rolling shadow overlap accepted when one is given (default 0.95, the article's aim). */
  minOverlap?: number;
}

export interface GateCheck {
  name: string;
  /** null: not measured (does not pass the gate for a required check). */
  pass: boolean | null;
  required: boolean;
  detail: string;
}

const queueCheck = (name: string, q: DlqStats | null, required: boolean, absent: string): GateCheck =>
  q === null
    ? { name, pass: null, required, detail: absent }
    : { name, pass: q.depth === 0 && q.parked === 0 && q.inFlight === 0, required, detail: `depth ${q.depth}, parked ${q.parked}, in flight ${q.inFlight}` };

/**
 * Phase 5's final gate: Neo4j may be retired and archived only when Engram is the primary (promoted),
 * nothing waits in either direction's queue, a reverse dual write kept Neo4j current since (so rolling
 * back stayed possible), every space holds the same memories on both sides (Engram's extra ones being
 * exactly Neo4j's tombstones), and all of that has stayed green for `minHours` (measured from the first
 * green check of an unbroken streak, recorded in the cutover state by each run).
 */
export interface FinalGateResult {
  /** Every check green, the time held included: Neo4j may be retired and archived. */
  pass: boolean;
  /** Every check but the time held is green now (what starts or continues the streak). */
  ready: boolean;
  checks: GateCheck[];
}

export function finalGate(e: FinalGateEvidence, options: FinalGateOptions = {}): FinalGateResult {
  const minHours = options.minHours ?? 72;
  const c = e.cutover;
  const phase = c?.phase ?? 'cutover';
  const checks: GateCheck[] = [
    {
      name: 'Engram primary (promoted)',
      required: true,
      pass: c === null ? null : phase !== 'cutover' && c.percent >= 100,
      detail:
        c === null
          ? 'no cutover state'
          : phase === 'cutover'
            ? `Neo4j is still the primary (${c.percent}% of reads on Engram): engram-migrate cutover promote`
            : `${phase} since ${c.phaseSince ?? c.updatedAt}`,
    },
    queueCheck('forward queue drained (writes for Engram)', e.forwardDlq, true, 'no dual-write queue found'),
    queueCheck(
      'reverse dual write ran and is drained (writes for Neo4j)',
      e.reverseDlq,
      true,
      'no reverse dual write queue: Neo4j has not been kept current since the cutover',
    ),
  ];
  for (const s of e.counts) {
    checks.push({
      name: `counts ${s.space}`,
      required: true,
      pass: s.engram - s.tombstonesInEngram === s.neo4j,
      detail: `Neo4j ${s.neo4j}, Engram ${s.engram} (${s.tombstonesInEngram} of them deleted in Neo4j)`,
    });
  }
  if (e.counts.length === 0) checks.push({ name: 'counts', required: true, pass: null, detail: 'no space counted' });
  const overlap = e.shadowOverlap ?? null;
  const minOverlap = options.minOverlap ?? 0.95;
  checks.push({
    name: 'shadow overlap',
    required: false,
    pass: overlap === null ? null : overlap >= minOverlap,
    detail: overlap === null ? 'not given' : `${overlap.toFixed(3)} (at least ${minOverlap})`,
  });
  const ok = (x: GateCheck): boolean => x.pass === true || (!x.required && x.pass === null);
  const ready = checks.every(ok);
  const since = ready ? (e.greenSince ?? new Date(e.now).toISOString()) : null;
  const held = since === null ? 0 : (e.now - Date.parse(since)) / 3_600_000;
  checks.push({
    name: `green for ${minHours} h`,
    required: true,
    pass: ready && held >= minHours,
    detail: since === null ? 'not green now: the streak starts again at the next green check' : `green since ${since} (${held.toFixed(1)} h of ${minHours} h)`,
  });
  return { pass: checks.every(ok), ready, checks };
}
