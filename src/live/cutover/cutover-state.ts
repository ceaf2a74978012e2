import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, errorMessage } from '../../errors.js';
import { syncDirectory } from '../dlq/dlq-journal.js';

/** One step of a cutover schedule: route `percent` of reads to the new store for `durationMs` (0: for good). */
export interface CutoverStep {
  percent: number;
  durationMs: number;
}

/** A schedule in progress, persisted so a restarted service resumes it where it was. */
export interface CutoverScheduleState {
  steps: CutoverStep[];
  step: number;
  stepStartedAt: string;
  status: 'running' | 'completed' | 'rolled-back' | 'aborted';
  maxErrorRate: number;
  lastCheck: { at: string; requests: number; errors: number; errorRate: number } | null;
}

/**
 * Where the migration stands after the reads moved (phase 5, decommission). `cutover` (absent in older
 * states): Neo4j is the primary, `percent` of reads go to Engram. `promoted`: Engram is the primary for
 * reads and writes, and the reverse dual writer keeps Neo4j current as the secondary, so demoting is still
 * a rollback without loss. `retired`: Neo4j gets no more writes (it is archived, then shut down).
 */
export type CutoverPhase = 'cutover' | 'promoted' | 'retired';
export const CUTOVER_PHASES: readonly CutoverPhase[] = ['cutover', 'promoted', 'retired'];

/** The final gate's measured streak, written by each `decommission gate` run (so `--min-hours` counts from the first green). */
export interface GateRecord {
  /** When the gate's checks were first all green in the current unbroken streak; null when the last check failed. */
  greenSince: string | null;
  lastCheckAt: string;
  /** The last check's checks were all green (ready), whatever the time held. */
  lastReady: boolean;
  /** When the whole gate (green for `minHours`) first passed in this streak; null while it has not. */
  passedAt: string | null;
  minHours: number;
}

/** What `decommission archive` wrote and verified. */
export interface ArchiveRecord {
  dir: string;
  at: string;
  /** sha256 of the bundle's manifest.json (which holds every file's sha256). */
  manifestSha256: string;
  memories: number;
  edges: number;
  tombstones: number;
}

/** The cutover lever: what share of reads the new store gets. Persisted as JSON; every change bumps `revision`. */
export interface CutoverState {
  version: 1;
  percent: number;
  revision: number;
  updatedAt: string;
  /** Who set it: an operator, the schedule, an automatic rollback, or `decommission archive`. */
  source: 'init' | 'manual' | 'schedule' | 'rollback' | 'archive';
  reason: string | null;
  schedule: CutoverScheduleState | null;
  /** Phase 5's step (default `cutover`), and since when. */
  phase?: CutoverPhase;
  phaseSince?: string | null;
  gate?: GateRecord | null;
  archive?: ArchiveRecord | null;
}

/** Checks a percentage (0..100, fractions allowed); throws a ConfigError naming `path`. */
export function checkPercent(value: number, path = 'percent'): number {
  if (!Number.isFinite(value) || value < 0 || value > 100) throw new ConfigError(path, `must be a number from 0 to 100, got ${value}`);
  return value;
}

export function initialCutoverState(percent = 0): CutoverState {
  return { version: 1, percent: checkPercent(percent), revision: 0, updatedAt: new Date().toISOString(), source: 'init', reason: null, schedule: null };
}

/**
 * Checks a cutover state read from outside (a file an operator may have edited by hand, a Neo4j node):
 * the share within 0-100, the fields the routers and the schedule use of the right types. Throws a
 * ConfigError naming `where` and the field.
 */
export function parseCutoverState(text: string, where: string): CutoverState {
  let state: CutoverState;
  try {
    state = JSON.parse(text) as CutoverState;
  } catch (cause) {
    throw new ConfigError(where, `not JSON: ${errorMessage(cause)}`, { cause });
  }
  if (typeof state !== 'object' || state === null || state.version !== 1) throw new ConfigError(where, 'not a cutover state (version 1)');
  checkPercent(state.percent, `${where}: percent`);
  if (!Number.isSafeInteger(state.revision) || state.revision < 0)
    throw new ConfigError(`${where}: revision`, `must be a whole number ≥ 0, got ${JSON.stringify(state.revision)}`);
  const s = state.schedule;
  if (s !== null && s !== undefined) {
    if (!Array.isArray(s.steps) || s.steps.length === 0 || !Number.isInteger(s.step) || s.step < 0 || s.step >= s.steps.length)
      throw new ConfigError(`${where}: schedule`, 'steps and step do not fit together');
    s.steps.forEach((x, i) => {
      checkPercent(x?.percent, `${where}: schedule.steps[${i}].percent`);
      if (!(Number.isFinite(x.durationMs) && x.durationMs >= 0))
        throw new ConfigError(`${where}: schedule.steps[${i}].durationMs`, `must be ≥ 0, got ${JSON.stringify(x.durationMs)}`);
    });
  }
  if (state.phase !== undefined && !CUTOVER_PHASES.includes(state.phase))
    throw new ConfigError(`${where}: phase`, `must be one of ${CUTOVER_PHASES.join(', ')}, got ${JSON.stringify(state.phase)}`);
  return { ...state, schedule: s ?? null };
}

/** The state in `path`, or null when there is none yet; a ConfigError when it is not a valid state. */
export async function readCutoverState(path: string): Promise<CutoverState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(path, `cannot read the cutover state: ${errorMessage(err)}`, { cause: err });
  }
  return parseCutoverState(text, path);
}

/** Writes atomically: a side file, fsync, rename over the old one, fsync of the directory. */
export async function writeCutoverState(path: string, state: CutoverState): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const side = `${path}.${process.pid}.tmp`;
  const handle = await open(side, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(side, path);
  await syncDirectory(dirname(path));
}

async function withLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await (await open(lock, 'wx')).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age =
        Date.now() -
        (await stat(lock).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age > 5_000 || Date.now() > deadline)
        await rm(lock, { force: true }); // left by a crashed writer
      else await new Promise((r) => setTimeout(r, 10));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

/**
 * Read-modify-write under a lock file, so an operator's `cutover set 0` and a running schedule never
 * overwrite each other's change. `change` gets the current state (or the initial one) and returns the
 * next (or null to leave it); revision and time are filled in.
 */
export async function updateCutoverState(
  path: string,
  change: (current: CutoverState) => Omit<CutoverState, 'revision' | 'updatedAt'> | null,
): Promise<CutoverState> {
  return withLock(path, async () => {
    // a file nobody can read (a bad hand edit) must not block the lever that replaces it
    const current =
      (await readCutoverState(path).catch((err: unknown) =>
        err instanceof ConfigError && !(err.cause instanceof Error && 'code' in err.cause) ? null : Promise.reject(err),
      )) ?? initialCutoverState();
    const next = change(current);
    if (next === null) return current;
    const state: CutoverState = { ...next, percent: checkPercent(next.percent), revision: current.revision + 1, updatedAt: new Date().toISOString() };
    await writeCutoverState(path, state);
    return state;
  });
}

/**
 * Polls the state file (a `stat` every `pollMs`, default 200 ms) and calls `onChange` when its content
 * changed, so a lever pulled from another process reaches the running router within a second. A state
 * that cannot be read or applied (a hand edit with `percent: 150`, half a JSON document) never throws
 * out of the poll: it goes to `onError` once per version of the file, and the last good state stays.
 */
export function watchCutoverState(
  path: string,
  onChange: (state: CutoverState) => void,
  pollMs = 200,
  onError: (err: unknown) => void = () => undefined,
): () => void {
  let lastKey = '';
  let busy = false;
  const poll = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const s = await stat(path).catch(() => null);
      const key = s === null ? '' : `${s.ino}:${s.mtimeMs}:${s.size}`;
      if (key !== lastKey && key !== '') {
        lastKey = key;
        const state = await readCutoverState(path);
        if (state !== null) onChange(state);
      }
    } catch (err) {
      try {
        onError(err);
      } catch {
        // a reporter that throws must not stop the watch either
      }
    } finally {
      busy = false;
    }
  };
  void poll();
  const timer = setInterval(() => void poll(), pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
