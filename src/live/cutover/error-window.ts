/** Requests and errors over a trailing time window. */
export interface ErrorWindowStats {
  requests: number;
  errors: number;
  /** errors / requests; 0 without requests. */
  errorRate: number;
}

/**
 * Request and error counts in one-second buckets over the last `maxWindowMs` (default 1 h), so the error
 * rate over any trailing window up to that is a sum of at most 3,600 buckets.
 */
export class ErrorWindow {
  readonly #seconds: number;
  readonly #requests: Float64Array;
  readonly #errors: Float64Array;
  readonly #stamp: Float64Array;
  readonly #now: () => number;

  constructor(maxWindowMs = 3_600_000, now: () => number = Date.now) {
    this.#seconds = Math.max(1, Math.ceil(maxWindowMs / 1000));
    this.#requests = new Float64Array(this.#seconds);
    this.#errors = new Float64Array(this.#seconds);
    this.#stamp = new Float64Array(this.#seconds).fill(-1);
    this.#now = now;
  }

  #slot(second: number): number {
    const slot = second % this.#seconds;
    if (this.#stamp[slot] !== second) {
      this.#stamp[slot] = second;
      this.#requests[slot] = 0;
      this.#errors[slot] = 0;
    }
    return slot;
  }

  record(error: boolean): void {
    const slot = this.#slot(Math.floor(this.#now() / 1000));
    this.#requests[slot]!++;
    if (error) this.#errors[slot]!++;
  }

  /** Counts over the trailing `windowMs` (whole seconds, the current one included). */
  stats(windowMs: number): ErrorWindowStats {
    const current = Math.floor(this.#now() / 1000);
    const span = Math.min(this.#seconds, Math.max(1, Math.ceil(windowMs / 1000)));
    let requests = 0;
    let errors = 0;
    for (let second = current - span + 1; second <= current; second++) {
      const slot = ((second % this.#seconds) + this.#seconds) % this.#seconds;
      if (this.#stamp[slot] !== second) continue;
      requests += this.#requests[slot]!;
      errors += this.#errors[slot]!;
    }
    return { requests, errors, errorRate: requests === 0 ? 0 : errors / requests };
  }

  reset(): void {
    this.#stamp.fill(-1);
  }
}
