/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): run-time fault injection.
 * Each request in scope draws three uniforms from a seeded pure-rand xoroshiro128+ generator
 * (reset, error, jitter), so with a seed and a given request order the faults are reproducible.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import type { EngramDoubleStats, EngramFaults, OutageMode } from './types.js';

/** What to do to one request. */
export interface FaultDecision {
  /** Inside an outage window in `reset` or `503` mode. */
  outage?: Exclude<OutageMode, 'refuse'>;
  reset: boolean;
  errorStatus?: number;
  delayMs: number;
  /** Wait before the handler (see `EngramFaults.queueMs`). */
  queueMs: number;
  slowdownFactor: number;
  timing: 'before' | 'after';
}

/** Kind of route, for the fault scope. */
export type RouteKind = 'write' | 'read';

function checkRate(path: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new Error(`faults.${path} must be a number in [0, 1], got ${JSON.stringify(value)}`);
  }
}

function checkNonNegative(path: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))) {
    throw new Error(`faults.${path} must be a finite number >= 0, got ${JSON.stringify(value)}`);
  }
}

/** Throw an Error naming the field when `faults` is not a valid {@link EngramFaults}. */
export function validateFaults(faults: EngramFaults): void {
  let total = 0;
  for (const [status, rate] of Object.entries(faults.errorRates ?? {})) {
    const code = Number(status);
    if (!Number.isInteger(code) || code < 400 || code > 599) throw new Error(`faults.errorRates: ${status} is not a 4xx/5xx status`);
    checkRate(`errorRates.${status}`, rate);
    total += rate;
  }
  if (total > 1 + 1e-9) throw new Error(`faults.errorRates must sum to at most 1, got ${total}`);
  if (faults.resetRate !== undefined) checkRate('resetRate', faults.resetRate);
  checkNonNegative('latencyMs', faults.latencyMs);
  checkNonNegative('jitterMs', faults.jitterMs);
  checkNonNegative('queueMs', faults.queueMs);
  checkNonNegative('retryAfterSeconds', faults.retryAfterSeconds);
  if (faults.slowdownFactor !== undefined && !(faults.slowdownFactor >= 1 && Number.isFinite(faults.slowdownFactor))) {
    throw new Error(`faults.slowdownFactor must be a finite number >= 1, got ${JSON.stringify(faults.slowdownFactor)}`);
  }
  if (faults.outage !== undefined) {
    checkNonNegative('outage.durationMs', faults.outage.durationMs);
    const mode = faults.outage.mode ?? 'refuse';
    if (!['refuse', 'reset', '503'].includes(mode)) throw new Error(`faults.outage.mode must be refuse, reset or 503, got ${mode}`);
  }
  if (faults.seed !== undefined && !Number.isInteger(faults.seed)) throw new Error('faults.seed must be an integer');
}

/** Holds the active faults, decides per request and counts what it injected. */
export class FaultInjector {
  #faults: EngramFaults = {};
  #rng: RandomGenerator = xoroshiro128plus(1);
  #outageUntil = 0;
  readonly injected: EngramDoubleStats['injected'];

  constructor() {
    this.injected = FaultInjector.emptyCounters();
  }

  /** Zeroed injection counters. */
  static emptyCounters(): EngramDoubleStats['injected'] {
    return { errors: {}, resets: 0, delayed: 0, addedLatencyMs: 0, slowed: 0, outageWindows: 0, outageResets: 0, outage503: 0 };
  }

  /** Replace the active faults (validated); an `outage` starts now. */
  set(faults: EngramFaults | null | undefined): void {
    const next = faults ?? {};
    validateFaults(next);
    this.#faults = structuredClone(next);
    this.#rng = xoroshiro128plus(next.seed ?? Date.now() ^ (Math.random() * 0x100000000));
    this.#outageUntil = next.outage === undefined ? 0 : Date.now() + next.outage.durationMs;
    if (next.outage !== undefined) this.injected.outageWindows++;
  }

  /** A copy of the active faults. */
  get(): EngramFaults {
    return structuredClone(this.#faults);
  }

  /** Health status to report. */
  get health(): 'healthy' | 'degraded' | 'unhealthy' {
    return this.#faults.health ?? 'healthy';
  }

  /** Mode and remaining ms of a running outage window, or undefined. */
  outage(): { mode: OutageMode; remainingMs: number } | undefined {
    const remainingMs = this.#outageUntil - Date.now();
    if (this.#faults.outage === undefined || remainingMs <= 0) return undefined;
    return { mode: this.#faults.outage.mode ?? 'refuse', remainingMs };
  }

  /** Seconds for `Retry-After`. */
  get retryAfterSeconds(): number {
    return this.#faults.retryAfterSeconds ?? 1;
  }

  /** Decide the faults of one request, or undefined when none apply. */
  decide(kind: RouteKind): FaultDecision | undefined {
    const f = this.#faults;
    const scope = f.scope ?? 'all';
    if ((scope === 'writes' && kind !== 'write') || (scope === 'reads' && kind !== 'read')) return undefined;
    const decision: FaultDecision = {
      reset: false,
      delayMs: 0,
      queueMs: f.queueMs ?? 0,
      slowdownFactor: f.slowdownFactor ?? 1,
      timing: f.faultTiming ?? 'before',
    };
    const outage = this.outage();
    if (outage !== undefined && outage.mode !== 'refuse') {
      decision.outage = outage.mode;
      if (outage.mode === 'reset') this.injected.outageResets++;
      else this.injected.outage503++;
      return decision;
    }
    const uReset = uniformFloat64(this.#rng);
    const uError = uniformFloat64(this.#rng);
    const uJitter = uniformFloat64(this.#rng);
    decision.reset = uReset < (f.resetRate ?? 0);
    if (!decision.reset) decision.errorStatus = pickStatus(f.errorRates ?? {}, uError);
    decision.delayMs = (f.latencyMs ?? 0) + uJitter * (f.jitterMs ?? 0);
    this.#count(decision);
    return decision;
  }

  #count(d: FaultDecision): void {
    if (d.reset) this.injected.resets++;
    if (d.errorStatus !== undefined) {
      const key = String(d.errorStatus);
      this.injected.errors[key] = (this.injected.errors[key] ?? 0) + 1;
    }
    if (d.delayMs > 0) {
      this.injected.delayed++;
      this.injected.addedLatencyMs += d.delayMs;
    }
    if (d.slowdownFactor > 1) this.injected.slowed++;
  }
}

function pickStatus(rates: Record<number, number>, u: number): number | undefined {
  let acc = 0;
  for (const [status, rate] of Object.entries(rates)) {
    acc += rate;
    if (u < acc) return Number(status);
  }
  return undefined;
}
