/** Where a rolling similarity stands against the article's thresholds. */
export type SimilarityStatus = 'no-data' | 'ok' | 'watch' | 'warn';

export interface RollingSimilarityOptions {
  /** Comparisons kept (default 1,000). */
  window?: number;
  /** Below this the status is `warn` (article: "similarity < 0.9 → warn"; default 0.9). */
  warnBelow?: number;
  /** At or above this the status is `ok` (article: "aim for > 95% similarity"; default 0.95). */
  aimAbove?: number;
}

/** The last `window` overlap@k and RBO values and their means, in O(1) per comparison. */
export class RollingSimilarity {
  readonly window: number;
  readonly warnBelow: number;
  readonly aimAbove: number;
  readonly #overlap: Float64Array;
  readonly #rbo: Float64Array;
  #count = 0;
  #sumOverlap = 0;
  #sumRbo = 0;

  constructor(options: RollingSimilarityOptions = {}) {
    this.window = options.window ?? 1000;
    this.warnBelow = options.warnBelow ?? 0.9;
    this.aimAbove = options.aimAbove ?? 0.95;
    this.#overlap = new Float64Array(this.window);
    this.#rbo = new Float64Array(this.window);
  }

  add(overlap: number, rbo: number): void {
    const slot = this.#count % this.window;
    if (this.#count >= this.window) {
      this.#sumOverlap -= this.#overlap[slot]!;
      this.#sumRbo -= this.#rbo[slot]!;
    }
    this.#overlap[slot] = overlap;
    this.#rbo[slot] = rbo;
    this.#sumOverlap += overlap;
    this.#sumRbo += rbo;
    this.#count++;
    if (this.#count % this.window === 0) {
      // resum once per window so rounding errors of the running sums never accumulate
      this.#sumOverlap = this.#overlap.reduce((a, b) => a + b, 0);
      this.#sumRbo = this.#rbo.reduce((a, b) => a + b, 0);
    }
  }

  /** Comparisons in the window. */
  get size(): number {
    return Math.min(this.#count, this.window);
  }

  get overlap(): number | null {
    return this.size === 0 ? null : this.#sumOverlap / this.size;
  }

  get rbo(): number | null {
    return this.size === 0 ? null : this.#sumRbo / this.size;
  }

  get status(): SimilarityStatus {
    const overlap = this.overlap;
    if (overlap === null) return 'no-data';
    if (overlap >= this.aimAbove) return 'ok';
    return overlap < this.warnBelow ? 'warn' : 'watch';
  }
}
