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
  now: number;
}

export interface FinalGateOptions {
  /** Hours at 100% before Neo4j may go (default 72). */
  minHoursAtFull?: number;
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
 * Phase 5's final gate: Neo4j may be archived only when every read has been on Engram long enough,
 * nothing waits in either direction's queue, a reverse dual write kept Neo4j current since the cutover
 * (so rolling back stayed possible), and every space holds the same memories on both sides (Engram's
 * extra ones being exactly Neo4j's tombstones).
 */
export function finalGate(e: FinalGateEvidence, options: FinalGateOptions = {}): { pass: boolean; checks: GateCheck[] } {
  const minHours = options.minHoursAtFull ?? 72;
  const c = e.cutover;
  const hoursAtFull = c !== null && c.percent >= 100 ? (e.now - Date.parse(c.updatedAt)) / 3_600_000 : 0;
  const checks: GateCheck[] = [
    {
      name: 'cutover at 100%',
      required: true,
      pass: c === null ? null : c.percent >= 100 && c.schedule?.status !== 'running' && hoursAtFull >= minHours,
      detail: c === null ? 'no cutover state' : `${c.percent}% since ${c.updatedAt} (${hoursAtFull.toFixed(1)} h; at least ${minHours} h)`,
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
  const pass = checks.every((x) => x.pass === true || (!x.required && x.pass === null));
  return { pass, checks };
}
