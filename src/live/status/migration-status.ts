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
  /** The reverse dual writer's queue (writes for Neo4j while Engram is the primary); null when none is here. */
  reverseDlq?: DlqStats | null;
  now?: number;
}

function cutoverPhase(c: CutoverState | null, error: string | null): PhaseStatus {
  const base = { phase: 4, name: 'cutover' } as const;
  if (error !== null) return { ...base, state: 'unknown', detail: `cannot read the cutover state: ${error}` };
  if (c === null || (c.percent === 0 && c.schedule === null && !c.phaseSince)) return { ...base, state: 'pending', detail: 'no reads on Engram yet' };
  const s = c.schedule;
  const schedule = s === null ? '' : `; schedule ${s.status}, step ${s.step + 1}/${s.steps.length}`;
  if ((c.phase ?? 'cutover') !== 'cutover')
    return { ...base, state: 'done', detail: `every read and write on Engram (${c.phase} since ${c.phaseSince ?? c.updatedAt})` };
  if (c.percent >= 100 && (s === null || s.status === 'completed'))
    return { ...base, state: 'done', detail: `100% of reads on Engram since ${c.updatedAt}${schedule}` };
  if (c.percent === 0) return { ...base, state: 'pending', detail: `back at 0% (${c.source}${c.reason ? `: ${c.reason}` : ''})${schedule}` };
  return { ...base, state: 'active', detail: `${c.percent}% of reads on Engram${schedule}` };
}

/**
 * Where the migration stands among the article's five phases, from what the live side can see: the
 * dead-letter queue (dual write), the cutover state (shadow reads run while the share is below 100%;
 * cutover, and phase 5's step: promoted, the final gate's streak, retired, archived), the reverse queue
 * and the tombstones. The backfill's progress lives in its run directory (engine), so phase 2 is
 * `unknown` here.
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
  const { next: decommissionNext, ...decommission } = decommissionPhase(e, tombs);
  const phases = [dual, backfill, shadow, cut, decommission];
  const current = Math.max(0, ...phases.filter((p) => p.state === 'active' || p.state === 'done').map((p) => p.phase));
  let next = 'start the dual writer in the service (phase 1), then backfill';
  if (current >= 1)
    next =
      d !== null && d.parked > 0
        ? `look at the ${d.parked} parked writes (engram-migrate dlq status --state parked)`
        : 'backfill, then watch shadow overlap before starting the cutover';
  if (cut.state === 'active') next = 'let the schedule run; engram-migrate cutover set 0 rolls every instance back';
  if (cut.state === 'done') next = decommissionNext;
  if (cut.state === 'unknown') next = 'fix access to the cutover state first';
  return { current, phases, next };
}

const hours = (from: string, now: number): string => `${((now - Date.parse(from)) / 3_600_000).toFixed(1)} h`;

/** Phase 5 from the cutover state's phase, gate record and archive record, and what its next gate needs. */
function decommissionPhase(e: MigrationEvidence, tombs: string): PhaseStatus & { next: string } {
  const base = { phase: 5, name: 'decommission' } as const;
  const c = e.cutover;
  const now = e.now ?? Date.now();
  const r = e.reverseDlq ?? null;
  const reverse = r === null ? 'no reverse queue here' : `reverse queue depth ${r.depth}, parked ${r.parked}`;
  const phase = c?.phase ?? 'cutover';
  if (c === null || phase === 'cutover')
    return {
      ...base,
      state: 'pending',
      detail: `Neo4j is the primary${tombs}`,
      next: 'promote Engram to primary: engram-migrate cutover promote (the service needs reverseWrites: the reverse dual writer with its own queue)',
    };
  if (phase === 'promoted') {
    const g = c.gate ?? null;
    const gate =
      g === null
        ? 'final gate never checked'
        : !g.lastReady
          ? `final gate not green at its last check (${g.lastCheckAt})`
          : g.passedAt !== null
            ? `final gate passed at ${g.passedAt} (green since ${g.greenSince})`
            : `final gate green since ${g.greenSince} (${hours(g.greenSince!, now)} of ${g.minHours} h; last check ${g.lastCheckAt})`;
    return {
      ...base,
      state: 'active',
      detail: `Engram primary since ${c.phaseSince ?? c.updatedAt}, Neo4j kept current by the reverse dual write (${reverse}); ${gate}${tombs}`,
      next:
        g?.passedAt && g.lastReady
          ? 'the final gate passed: engram-migrate decommission archive --out <dir> (stops the writes to Neo4j, then bundles and verifies it)'
          : `run engram-migrate decommission gate --spaces ... --min-hours ${g?.minHours ?? 72} regularly (every check within --max-gap): both queues drained, counts equal up to the tombstones, green for the hours; engram-migrate cutover demote rolls back`,
    };
  }
  const a = c.archive ?? null;
  if (a === null)
    return {
      ...base,
      state: 'active',
      detail: `Neo4j retired since ${c.phaseSince ?? c.updatedAt} (no more writes); not archived yet${tombs}`,
      next: 'engram-migrate decommission archive --out <dir> (Neo4j gets no writes now)',
    };
  return {
    ...base,
    state: 'done',
    detail: `Neo4j retired and archived to ${a.dir} at ${a.at} (${a.memories} memories, ${a.edges} edges, ${a.tombstones} tombstones; manifest sha256 ${a.manifestSha256.slice(0, 12)}…)`,
    next: `stop writing to Neo4j for good: run the service without the reverse dual writer (Engram only), then stop Neo4j; keep ${a.dir} (engram-migrate decommission verify-archive ${a.dir})`,
  };
}
