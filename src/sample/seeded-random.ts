import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** murmur3's 32-bit finaliser: a bijection on uint32 that spreads every input bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a short string (FNV-1a, then mixed). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return fmix32(h);
}

const TWO_POW_32 = 4_294_967_296;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A deterministic random stream for one element of the sample graph, addressed by
 * `(seed, stream, index)`: any node or relationship group can be regenerated on its own, in any order,
 * and two different indices of one stream never share a generator state (the first state word is a
 * bijection of the index), so two documents never get the same embedding.
 */
export class SeededRandom {
  readonly #rng: RandomGenerator;
  #spare: number | null = null;

  private constructor(rng: RandomGenerator) {
    this.#rng = rng;
  }

  /** The stream for element `index` of `stream` (e.g. `"Document"`, `"READ"`) under `seed`. */
  static forElement(seed: number, stream: string, index: number): SeededRandom {
    const base = fmix32((seed >>> 0) ^ Math.imul(hashString(stream), 0x9e3779b9));
    const hi = Math.floor(index / TWO_POW_32) >>> 0;
    const w0 = fmix32(((index >>> 0) ^ base) >>> 0);
    const w1 = fmix32((w0 ^ 0x27d4eb2f ^ hi) >>> 0);
    const w2 = fmix32((w1 + 0x165667b1) >>> 0);
    const w3 = fmix32((w2 ^ base) >>> 0) | 1; // xoroshiro must never start from the all-zero state
    return new SeededRandom(xoroshiro128plusFromState([w0 | 0, w1 | 0, w2 | 0, w3 | 0]));
  }

  /** A uniform number in [0, 1) that depends only on `(seed, stream, index)`: cheap membership draws. */
  static unit(seed: number, stream: string, index: number): number {
    return SeededRandom.forElement(seed, stream, index).float();
  }

  /** Uniform uint32. */
  uint32(): number {
    return this.#rng.next() >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform integer in [min, max] (both included); max - min must stay below 2^32. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** A standard normal draw (Box-Muller; the second value of each pair is kept for the next call). */
  gaussian(): number {
    if (this.#spare !== null) {
      const spare = this.#spare;
      this.#spare = null;
      return spare;
    }
    const u = 1 - this.float(); // (0, 1]: log stays finite
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A random (version 4, variant 1) UUID string built from 128 drawn bits. */
  uuid(): string {
    const b: number[] = [];
    for (let i = 0; i < 4; i++) {
      const w = this.uint32();
      b.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
    }
    b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const h = b.map((x) => HEX[x]).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}
