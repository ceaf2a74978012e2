import { ConfigError } from '../../errors.js';
import type { ArchiveRecord, CutoverPhase, CutoverState, GateRecord } from './cutover-state.js';
import { cutoverStore, type CutoverStateStore } from './cutover-store.js';

/** The phase of a state (`cutover` when none is recorded: states written before phase 5 existed). */
export const phaseOf = (state: CutoverState | null): CutoverPhase => state?.phase ?? 'cutover';

const HOUR = 3_600_000;

/**
 * Promotes Engram to primary (Vitess's ReverseTraffic): every router sends reads and writes to Engram,
 * writes through the reverse dual writer, which keeps Neo4j current as the secondary. Refused unless the
 * cutover is at 100% with no schedule running (`force` skips that check) or when Neo4j is retired.
 */
export async function promoteCutover(
  where: string | CutoverStateStore,
  options: { reason?: string | null; force?: boolean; now?: number } = {},
): Promise<CutoverState> {
  const at = new Date(options.now ?? Date.now()).toISOString();
  return cutoverStore(where).update((s) => {
    const phase = phaseOf(s);
    if (phase === 'promoted') return null;
    if (phase === 'retired') throw new ConfigError('cutover promote', 'Neo4j is already retired: Engram is the only store');
    if (!options.force && (s.percent < 100 || s.schedule?.status === 'running'))
      throw new ConfigError(
        'cutover promote',
        `promote after the cutover reached 100% (now ${s.percent}%${s.schedule?.status === 'running' ? ', schedule running' : ''}); --force to promote anyway`,
      );
    return {
      ...s,
      percent: 100,
      phase: 'promoted',
      phaseSince: at,
      source: 'manual',
      reason: options.reason ?? 'Engram promoted to primary; Neo4j kept current by the reverse dual write',
      schedule: s.schedule?.status === 'running' ? { ...s.schedule, status: 'aborted' } : s.schedule,
      gate: null,
    };
  });
}

/**
 * The lever after the cutover: Neo4j is the primary again (reads at `percent`, default 0; writes through
 * the forward dual writer). Nothing written while promoted is lost as long as the reverse queue was drained
 * (Neo4j was kept current). Refused once Neo4j is retired (it missed every write since), unless `force`.
 */
export async function demoteCutover(
  where: string | CutoverStateStore,
  options: { percent?: number; reason?: string | null; force?: boolean; now?: number } = {},
): Promise<CutoverState> {
  const at = new Date(options.now ?? Date.now()).toISOString();
  const percent = options.percent ?? 0;
  return cutoverStore(where).update((s) => {
    if (phaseOf(s) === 'retired' && !options.force)
      throw new ConfigError(
        'cutover demote',
        `Neo4j is retired since ${s.phaseSince ?? s.updatedAt}: it has none of the writes made since; --force to demote anyway`,
      );
    return {
      ...s,
      percent,
      phase: 'cutover',
      phaseSince: at,
      source: 'manual',
      reason: options.reason ?? `demoted: Neo4j primary again, ${percent}% of reads on Engram`,
      schedule: s.schedule?.status === 'running' ? { ...s.schedule, status: 'aborted' } : s.schedule,
      gate: null,
    };
  });
}

/** The gate's streak after one more check: it restarts after a failed check, or when the last check is older than `maxGapMs`. */
export function nextGateRecord(prev: GateRecord | null | undefined, ready: boolean, now: number, minHours: number, maxGapMs: number): GateRecord {
  const at = new Date(now).toISOString();
  if (!ready) return { greenSince: null, lastCheckAt: at, lastReady: false, passedAt: null, minHours };
  const continued = prev?.lastReady === true && prev.greenSince !== null && now - Date.parse(prev.lastCheckAt) <= maxGapMs;
  const greenSince = continued ? prev.greenSince! : at;
  const held = now - Date.parse(greenSince) >= minHours * HOUR;
  return { greenSince, lastCheckAt: at, lastReady: true, passedAt: held ? (continued && prev.passedAt ? prev.passedAt : at) : null, minHours };
}

/** Records one gate check in the state (only while promoted: the streak is about Engram as the primary). */
export async function recordGateCheck(
  where: string | CutoverStateStore,
  ready: boolean,
  options: { minHours: number; maxGapMs: number; now?: number },
): Promise<CutoverState> {
  const now = options.now ?? Date.now();
  return cutoverStore(where).update((s) => {
    if (phaseOf(s) === 'retired') return null; // the gate is behind: the record stays as it was
    const gate = nextGateRecord(s.gate, ready && phaseOf(s) === 'promoted', now, options.minHours, options.maxGapMs);
    return { ...s, gate };
  });
}

/**
 * Stops the writes to Neo4j: routers switch to Engram only (the reverse dual writer is no longer used).
 * Refused unless the final gate has passed and its last check was green (`force` skips that).
 */
export async function retireNeo4j(
  where: string | CutoverStateStore,
  options: { force?: boolean; reason?: string | null; now?: number } = {},
): Promise<CutoverState> {
  const at = new Date(options.now ?? Date.now()).toISOString();
  return cutoverStore(where).update((s) => {
    const phase = phaseOf(s);
    if (phase === 'retired') return null;
    if (!options.force && (phase !== 'promoted' || !s.gate?.lastReady || s.gate.passedAt === null))
      throw new ConfigError(
        'decommission',
        phase !== 'promoted'
          ? `Engram is not the primary (phase ${phase}): run engram-migrate cutover promote, then the final gate`
          : `the final gate has not passed (${s.gate ? `last check ${s.gate.lastCheckAt}: ${s.gate.lastReady ? `green since ${s.gate.greenSince}, ${s.gate.minHours} h needed` : 'not green'}` : 'never checked'}): run engram-migrate decommission gate; --force to go on anyway`,
      );
    return { ...s, phase: 'retired', phaseSince: at, source: 'manual', reason: options.reason ?? 'Neo4j retired: no more writes to it' };
  });
}

/** Records the verified archive. */
export async function recordArchive(where: string | CutoverStateStore, archive: ArchiveRecord): Promise<CutoverState> {
  return cutoverStore(where).update((s) => ({ ...s, source: 'archive', reason: `Neo4j archived to ${archive.dir}`, archive }));
}
