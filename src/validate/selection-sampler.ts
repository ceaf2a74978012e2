import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** murmur3's 32-bit finaliser: spreads every bit of the seed over the whole word. */
function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * A seeded generator of uniform doubles in [0, 1) (pure-rand xoroshiro128+). pure-rand puts the seed
 * into the state almost as is, and the first outputs of nearby seeds (1, 2, 3, ...) are correlated
 * (a chi-square over consecutive seeds fails badly), so the seed is scrambled and the first draws dropped.
 */
export function seededUniform(seed: number): () => number {
  const rng: Generator = xoroshiro128plus(mix32(seed ^ 0x9e3779b9));
  for (let i = 0; i < 16; i++) rng.next();
  return () => uniformFloat64(rng);
}

/**
 * Knuth's Algorithm S (selection sampling, TAOCP vol. 2, 3.4.2): offered the items of a population of
 * known size one by one, in a fixed order, it selects exactly `sampleSize` of them (all of them when
 * the population is smaller), each subset equally likely. One draw per item and no memory beyond two
 * counters, so a sample of any size is taken in one streaming pass over the keys. The same seed and
 * the same item order give the same sample.
 *
 * If the population turns out larger than announced (the graph grew while streaming), the remaining
 * quota goes to the first extra items; if smaller, the sample is smaller. Both only under drift.
 *
 * @example
 * const s = new SelectionSampler(1000, total, 42);
 * for await (const key of keys) if (s.offer()) sample.push(key);
 */
export class SelectionSampler {
  readonly #next: () => number;
  #needed: number;
  #remaining: number;

  constructor(sampleSize: number, population: number, seed: number) {
    if (!Number.isInteger(sampleSize) || sampleSize < 0) throw new RangeError(`sampleSize must be a whole number ≥ 0, got ${sampleSize}`);
    if (!Number.isInteger(population) || population < 0) throw new RangeError(`population must be a whole number ≥ 0, got ${population}`);
    this.#next = seededUniform(seed);
    this.#needed = Math.min(sampleSize, population);
    this.#remaining = population;
  }

  /** Items still to select. */
  get needed(): number {
    return this.#needed;
  }

  /** Offers the next item of the population; true when it belongs to the sample. */
  offer(): boolean {
    if (this.#needed <= 0) return false;
    // Select with probability needed / remaining; once they are equal, every remaining item is taken.
    const take = this.#remaining <= this.#needed || this.#remaining * this.#next() < this.#needed;
    this.#remaining--;
    if (take) this.#needed--;
    return take;
  }
}

/**
 * Algorithm R (reservoir sampling): keeps a uniform sample of `capacity` items of a stream whose length
 * is not known in advance. `offer()` returns the reservoir slot the item goes to, or -1.
 */
export class ReservoirSampler {
  readonly capacity: number;
  readonly #next: () => number;
  #seen = 0;

  constructor(capacity: number, seed: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number ≥ 1, got ${capacity}`);
    this.capacity = capacity;
    this.#next = seededUniform(seed);
  }

  /** Items offered so far. */
  get seen(): number {
    return this.#seen;
  }

  /** Items held (at most `capacity`). */
  get size(): number {
    return Math.min(this.#seen, this.capacity);
  }

  offer(): number {
    const t = this.#seen++;
    if (t < this.capacity) return t;
    const j = Math.floor(this.#next() * (t + 1));
    return j < this.capacity ? j : -1;
  }

  /** Empties the reservoir (a new window starts). */
  reset(): void {
    this.#seen = 0;
  }
}
