/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): request, status and write-outcome counters,
 * merged with the fault injector's counters of what it injected.
 */
import { FaultInjector } from './fault-injector.js';
import type { RememberResult } from './memory-space.js';
import type { EngramDoubleStats } from './types.js';

function emptyWrites(): EngramDoubleStats['writes'] {
  return { stored: 0, replaced: 0, deduplicated: 0, noop: 0, evicted: 0 };
}

/** Counters of one double. */
export class DoubleStats {
  #requests = 0;
  #byRoute: Record<string, number> = {};
  #byStatus: Record<string, number> = {};
  #writes = emptyWrites();
  readonly #faults: FaultInjector;

  constructor(faults: FaultInjector) {
    this.#faults = faults;
  }

  /** Count one Engram request (control routes are not counted). */
  request(route: string): void {
    this.#requests++;
    this.#byRoute[route] = (this.#byRoute[route] ?? 0) + 1;
  }

  /** Count one answered status. */
  status(code: number): void {
    const key = String(code);
    this.#byStatus[key] = (this.#byStatus[key] ?? 0) + 1;
  }

  /** Count one store outcome. */
  write(result: RememberResult): void {
    this.#writes[result.outcome]++;
    if (result.evictedId !== undefined) this.#writes.evicted++;
  }

  /** A deep copy of every counter. */
  snapshot(): EngramDoubleStats {
    return structuredClone({
      requests: this.#requests,
      byRoute: this.#byRoute,
      byStatus: this.#byStatus,
      writes: this.#writes,
      injected: this.#faults.injected,
    });
  }

  /** Zero every counter, injected ones included. */
  reset(): void {
    this.#requests = 0;
    this.#byRoute = {};
    this.#byStatus = {};
    this.#writes = emptyWrites();
    Object.assign(this.#faults.injected, FaultInjector.emptyCounters());
  }
}
