import { ConfigError } from '../../errors.js';
import type { CutoverRouter } from './cutover-router.js';
import { checkPercent, type CutoverScheduleState, type CutoverState, type CutoverStep } from './cutover-state.js';
import { cutoverStore, type CutoverStateStore } from './cutover-store.js';
import type { LiveMetrics } from '../live-metrics.js';

const HOUR = 3_600_000;

/** The article's schedule: 1% for a day, 10% for a day, 50% for two days, then 100% for good. */
export const DEFAULT_CUTOVER_STEPS: readonly CutoverStep[] = Object.freeze([
  { percent: 1, durationMs: 24 * HOUR },
  { percent: 10, durationMs: 24 * HOUR },
  { percent: 50, durationMs: 48 * HOUR },
  { percent: 100, durationMs: 0 },
]);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR, d: 24 * HOUR };

/** A duration such as `500ms`, `30s`, `15m`, `24h`, `2d` in milliseconds. */
export function parseDuration(text: string, path = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new ConfigError(path, `expected a duration like 30s, 15m, 24h or 2d, got ${JSON.stringify(text)}`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** Steps from `1:24h,10:24h,50:48h,100`: percent, colon, duration; the last step may omit it (for good). */
export function parseCutoverSteps(text: string): CutoverStep[] {
  const steps = text.split(',').map((part, i) => {
    const [percent, duration] = part.trim().split(':');
    const p = checkPercent(Number(percent), `steps[${i}].percent`);
    if (percent === undefined || percent.trim() === '') throw new ConfigError(`steps[${i}]`, `empty step in ${JSON.stringify(text)}`);
    return { percent: p, durationMs: duration === undefined ? 0 : parseDuration(duration, `steps[${i}].duration`) };
  });
  steps.slice(0, -1).forEach((s, i) => {
    if (s.durationMs === 0) throw new ConfigError(`steps[${i}].duration`, 'only the last step may last for good');
  });
  return steps;
}

export interface CutoverScheduleOptions {
  router: CutoverRouter;
  /**
   * The router's state (a store, or the path of a state file): the schedule lives in it, so `cutover
   * start` can start one and a restart resumes it.
   */
  stateFile: string | CutoverStateStore;
  /** Roll back to 0% when the new store's error rate over `windowMs` exceeds this (default 0.01, the article's 1%). */
  maxErrorRate?: number;
  /** Fewer requests than this in the window are not judged (default 100). */
  minRequests?: number;
  /** Trailing window of the error rate (default 60 s). */
  windowMs?: number;
  /** How often the runner looks (default 10 s). */
  checkIntervalMs?: number;
  metrics?: LiveMetrics | null;
  now?: () => number;
  /** Step changes, rollbacks, completion. */
  onEvent?: (event: { type: 'step' | 'rollback' | 'completed' | 'aborted'; state: CutoverState }) => void;
}

/**
 * Runs a cutover schedule held in the state file: moves to the next step when a step's time is up, and
 * rolls back to 0% at once when the new store's error rate over the trailing window passes the limit
 * (checked every `checkIntervalMs`, not only at step ends). A manual `cutover set` stops the schedule.
 */
export class CutoverScheduleRunner {
  readonly #o: CutoverScheduleOptions;
  readonly #store: CutoverStateStore;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;

  constructor(options: CutoverScheduleOptions) {
    this.#o = options;
    this.#store = cutoverStore(options.stateFile);
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /** Starts a new schedule (replacing any) at its first step. */
  async begin(steps: readonly CutoverStep[] = DEFAULT_CUTOVER_STEPS): Promise<CutoverState> {
    const state = await beginCutoverSchedule(this.#store, steps, this.#o.maxErrorRate ?? 0.01, this.#now());
    this.#o.router.applyState(state);
    this.#o.onEvent?.({ type: 'step', state });
    return state;
  }

  /** Checks every `checkIntervalMs` until stopped. */
  start(): void {
    const every = this.#o.checkIntervalMs ?? 10_000;
    this.#timer = setInterval(() => void this.tick().catch(() => undefined), every);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#ticking;
  }

  /** One check (ticks never overlap). */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const current = await this.#store.read();
    if (current?.schedule?.status !== 'running') return;
    const { router } = this.#o;
    const stats = router.errorStats(this.#o.windowMs ?? 60_000);
    this.#o.metrics?.cutoverErrorRate.set(stats.errorRate);
    const lastCheck = { at: new Date(this.#now()).toISOString(), ...stats };
    const judged = stats.requests >= (this.#o.minRequests ?? 100);
    let event = null as 'step' | 'rollback' | 'completed' | null;
    const state = await this.#store.update((s) => {
      const schedule = s.schedule;
      if (schedule?.status !== 'running' || s.revision !== current.revision) return null; // changed meanwhile: next tick
      if (judged && stats.errorRate > schedule.maxErrorRate) {
        event = 'rollback';
        const reason = `error rate ${(stats.errorRate * 100).toFixed(2)}% over ${stats.requests} requests > ${(schedule.maxErrorRate * 100).toFixed(2)}%`;
        return { ...s, percent: 0, source: 'rollback', reason, schedule: { ...schedule, status: 'rolled-back', lastCheck } };
      }
      const step = schedule.steps[schedule.step]!;
      const due = step.durationMs > 0 && this.#now() - Date.parse(schedule.stepStartedAt) >= step.durationMs;
      if (!due) return { ...s, schedule: { ...schedule, lastCheck } };
      const nextIndex = schedule.step + 1;
      const next = schedule.steps[nextIndex];
      if (next === undefined) {
        event = 'completed';
        return { ...s, source: 'schedule', reason: 'schedule completed', schedule: { ...schedule, status: 'completed', lastCheck } };
      }
      event = next.durationMs === 0 && nextIndex === schedule.steps.length - 1 ? 'completed' : 'step';
      const status = event === 'completed' ? 'completed' : 'running';
      const stepStartedAt = new Date(this.#now()).toISOString();
      return {
        ...s,
        percent: next.percent,
        source: 'schedule',
        reason: `schedule step ${nextIndex + 1}/${schedule.steps.length}`,
        schedule: { ...schedule, step: nextIndex, stepStartedAt, status, lastCheck },
      };
    });
    router.applyState(state);
    if (event !== null) this.#o.onEvent?.({ type: event, state });
  }
}

/**
 * Writes a new schedule (replacing any) into the state file at its first step; a running service's
 * {@link CutoverScheduleRunner} picks it up at its next check (what `engram-migrate cutover start` does).
 */
export async function beginCutoverSchedule(
  stateFile: string | CutoverStateStore,
  steps: readonly CutoverStep[] = DEFAULT_CUTOVER_STEPS,
  maxErrorRate = 0.01,
  now = Date.now(),
): Promise<CutoverState> {
  const first = steps[0];
  if (first === undefined) throw new ConfigError('steps', 'a schedule needs at least one step');
  if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) throw new ConfigError('maxErrorRate', `must be a fraction from 0 to 1, got ${maxErrorRate}`);
  const status = steps.length === 1 && first.durationMs === 0 ? 'completed' : 'running';
  const schedule: CutoverScheduleState = { steps: [...steps], step: 0, stepStartedAt: new Date(now).toISOString(), status, maxErrorRate, lastCheck: null };
  return cutoverStore(stateFile).update((s) => {
    if ((s.phase ?? 'cutover') !== 'cutover')
      throw new ConfigError(
        'cutover start',
        `Engram is ${s.phase === 'retired' ? 'the only store (Neo4j retired)' : 'the primary'}: engram-migrate cutover demote first`,
      );
    return { ...s, percent: first.percent, source: 'schedule', reason: `schedule step 1/${steps.length}`, schedule };
  });
}

/**
 * The operator's lever: sets the share, stopping a running schedule; persisted for the router to pick up.
 * After a promote it is a demote too (Neo4j primary again), so `cutover set 0` stays the rollback; once
 * Neo4j is retired it is refused (Neo4j missed the writes since: `cutover demote --force`).
 */
export async function setCutoverPercent(stateFile: string | CutoverStateStore, percent: number, reason: string | null = null): Promise<CutoverState> {
  checkPercent(percent);
  return cutoverStore(stateFile).update((s) => {
    if (s.phase === 'retired')
      throw new ConfigError('cutover set', 'Neo4j is retired and has none of the writes made since: engram-migrate cutover demote --force to go back anyway');
    const demoted = s.phase === 'promoted' ? { phase: 'cutover' as const, phaseSince: new Date().toISOString(), gate: null } : {};
    return {
      ...s,
      ...demoted,
      percent,
      source: 'manual',
      reason: reason ?? `set to ${percent}% by hand${s.phase === 'promoted' ? ' (demoted: Neo4j primary again)' : ''}`,
      schedule: s.schedule?.status === 'running' ? { ...s.schedule, status: 'aborted' } : s.schedule,
    };
  });
}

/** The current state (initial when the file does not exist yet). */
export async function cutoverStatus(stateFile: string | CutoverStateStore): Promise<CutoverState | null> {
  return cutoverStore(stateFile).read();
}
