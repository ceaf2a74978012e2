import * as hdr from 'hdr-histogram-js';

/** Percentiles of a latency histogram, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * An HDR histogram of latencies (microsecond resolution, 3 significant digits, 1 µs to 1 h): constant
 * memory and exact-enough percentiles however many values are recorded.
 */
export class LatencyHistogram {
  readonly #h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    this.#h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.#h.totalCount;
  }

  /** A percentile (0-100) in milliseconds; 0 when empty. */
  percentile(p: number): number {
    return this.#h.totalCount === 0 ? 0 : this.#h.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    return {
      count: this.#h.totalCount,
      p50: round(this.percentile(50)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      max: round(this.#h.totalCount === 0 ? 0 : this.#h.maxValue / 1000),
      mean: round(this.#h.totalCount === 0 ? 0 : this.#h.mean / 1000),
    };
  }

  reset(): void {
    this.#h.reset();
  }
}
