import type { CutoverState } from '../cutover/cutover-state.js';
import type { DlqStats } from '../dlq/dlq-state.js';

/** The article's five phases. */
export const MIGRATION_PHASES = ['dual write', 'backfill', 'shadow reads', 'cutover', 'decommission'] as const;

export type PhaseState = 'pending' | 'active' | 'done' | 'unknown';

export interface PhaseStatus {
  phase: 1 | 2 | 3 | 4 | 5;
  name: (typeof MIGRATION_PHASES)[number];
  state: PhaseState;
  detail: string;
}

/** What `status` found, and where the migration stands. */
export interface MigrationStatus {
  /** The furthest phase that is active or done (0: nothing started). */
  current: number;
  phases: PhaseStatus[];
  /** What to do next, in a sentence. */
  next: string;
}

/** What the live side can see of a migration. Null where it could not be read. */
export interface MigrationEvidence {
  /** The dual writer's queue (null: no queue directory, so no dual writer has run here). */
  dlq: DlqStats | null;
  /** A process holds the queue's lock: a dual writer is running now. */
  dlqHeld: boolean;
  cutover: CutoverState | null;
  /** Why the cutover state could not be read (Neo4j down, a broken state), if so. */
  cutoverError: string | null;
  tombstones: number | null;
}

function cutoverPhase(c: CutoverState | null, error: string | null): PhaseStatus {
  const base = { phase: 4, name: 'cutover' } as const;
  if (error !== null) return { ...base, state: 'unknown', detail: `cannot read the cutover state: ${error}` };
  if (c === null || (c.percent === 0 && c.schedule === null)) return { ...base, state: 'pending', detail: 'no reads on Engram yet' };
  const s = c.schedule;
  const schedule = s === null ? '' : `; schedule ${s.status}, step ${s.step + 1}/${s.steps.length}`;
  if (c.percent >= 100 && (s === null || s.status === 'completed'))
    return { ...base, state: 'done', detail: `100% of reads on Engram since ${c.updatedAt}${schedule}` };
  if (c.percent === 0) return { ...base, state: 'pending', detail: `back at 0% (${c.source}${c.reason ? `: ${c.reason}` : ''})${schedule}` };
  return { ...base, state: 'active', detail: `${c.percent}% of reads on Engram${schedule}` };
}

/**
 * Where the migration stands among the article's five phases, from what the live side can see: the
 * dead-letter queue (dual write), the cutover state (shadow reads run while the share is below 100%;
 * cutover), and the tombstones. The backfill's progress lives in its run directory (engine), so phase 2
 * is `unknown` here; decommission (reverse dual write, final gate, archive) is not built yet.
 */
export function migrationStatus(e: MigrationEvidence): MigrationStatus {
  const d = e.dlq;
  const dual: PhaseStatus =
    d === null
      ? { phase: 1, name: 'dual write', state: 'pending', detail: 'no dead-letter queue here: no dual writer has run' }
      : {
          phase: 1,
          name: 'dual write',
          state: 'active',
          detail: `${e.dlqHeld ? 'a service holds the queue' : 'no process holds the queue'}; depth ${d.depth}, parked ${d.parked}, in doubt ${d.inDoubt}`,
        };
  const cut = cutoverPhase(e.cutover, e.cutoverError);
  const backfill: PhaseStatus = {
    phase: 2,
    name: 'backfill',
    state: 'unknown',
    detail: "see the backfill's run directory (its checkpoint); not visible from the live side",
  };
  const shadow: PhaseStatus = {
    phase: 3,
    name: 'shadow reads',
    state: d === null ? 'pending' : cut.state === 'done' ? 'done' : 'active',
    detail: 'overlap in the service metrics (engram_migrate_live_shadow_overlap) and the discrepancy log',
  };
  const tombs = e.tombstones === null ? '' : `; ${e.tombstones} deleted in Neo4j but kept by Engram (tombstones)`;
  const decommission: PhaseStatus = {
    phase: 5,
    name: 'decommission',
    state: 'pending',
    detail: `not built yet (reverse dual write, final gate, archive)${tombs}`,
  };
  const phases = [dual, backfill, shadow, cut, decommission];
  const current = Math.max(0, ...phases.filter((p) => p.state === 'active' || p.state === 'done').map((p) => p.phase));
  let next = 'start the dual writer in the service (phase 1), then backfill';
  if (current >= 1)
    next =
      d !== null && d.parked > 0
        ? `look at the ${d.parked} parked writes (engram-migrate dlq status --state parked)`
        : 'backfill, then watch shadow overlap before starting the cutover';
  if (cut.state === 'active') next = 'let the schedule run; engram-migrate cutover set 0 rolls every instance back';
  if (cut.state === 'done') next = 'decommission Neo4j (reverse dual write until the final gate passes, then archive)';
  if (cut.state === 'unknown') next = 'fix access to the cutover state first';
  return { current, phases, next };
}
