/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): candidate index for near-duplicate detection.
 *
 * Deviation from Engram, documented: the real server compares each write with every memory of the
 * space. A write here must not scan 100k x 768 floats, so large spaces use random-hyperplane LSH
 * (SimHash) and verify every candidate with the exact cosine:
 * - hyperplanes come from a pseudo-random rotation (three rounds of random sign flip + fast
 *   Walsh-Hadamard transform on the vector zero-padded to 1024), ~35 us per vector instead of
 *   768 x 768 multiply-adds; its 768 outputs give 48 tables x 16 sign bits;
 * - a pair at cosine 0.95 (angle 0.3176 rad) agrees on one bit with p = 1 - angle/pi = 0.8989, on a
 *   16-bit key with p^16 = 0.1817, so it is missed by all 48 tables with (1 - 0.1817)^48 = 6.6e-5
 *   (< 1e-4; higher cosines are missed less often). Unrelated random vectors collide in a table with
 *   2^-16, i.e. ~73 exact checks per write at 100k memories.
 * The rotation is fixed by a seed, so which rare >= 0.95 pairs are missed is deterministic.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { EMBEDDING_DIM } from './types.js';

/** Sign bits per table key. */
export const LSH_BITS = 16;
/** Number of hash tables. */
export const LSH_TABLES = 48;
const PADDED = 1024;
const ROUNDS = 3;
const BUCKETS = 1 << LSH_BITS;

/** Probability that a pair at cosine `cos` shares no bucket (independent-hyperplane model). */
export function lshMissProbability(cos: number): number {
  const p = 1 - Math.acos(Math.max(-1, Math.min(1, cos))) / Math.PI;
  return Math.pow(1 - Math.pow(p, LSH_BITS), LSH_TABLES);
}

/**
 * In-place unnormalised fast Walsh-Hadamard transform of a 4^k-length array, two butterfly levels
 * (h and 2h) per pass to halve the passes over memory.
 */
export function fwht(a: Float64Array): void {
  const n = a.length;
  for (let h = 1; h < n; h <<= 2) {
    const step = h << 2;
    for (let i = 0; i < n; i += step) {
      for (let j = i; j < i + h; j++) {
        const x0 = a[j]!;
        const x1 = a[j + h]!;
        const x2 = a[j + 2 * h]!;
        const x3 = a[j + 3 * h]!;
        const s0 = x0 + x1;
        const d0 = x0 - x1;
        const s1 = x2 + x3;
        const d1 = x2 - x3;
        a[j] = s0 + s1;
        a[j + h] = d0 + d1;
        a[j + 2 * h] = s0 - s1;
        a[j + 3 * h] = d0 - d1;
      }
    }
  }
}

/** LSH tables over slots of one memory space; grows with the space. */
export class DedupIndex {
  readonly #signs: Float64Array;
  readonly #buf = new Float64Array(PADDED);
  readonly #heads: Int32Array;
  #next: Int32Array;
  #prev: Int32Array;
  #keys: Uint16Array;
  #slots: number;
  #seen: Uint32Array;
  #epoch = 0;

  constructor(initialSlots: number, seed = 0x5eed) {
    const rng = xoroshiro128plus(seed);
    this.#signs = new Float64Array(PADDED * ROUNDS);
    for (let i = 0; i < this.#signs.length; i++) this.#signs[i] = rng.next() >>> 31 === 0 ? 1 : -1;
    this.#heads = new Int32Array(BUCKETS * LSH_TABLES).fill(-1);
    this.#slots = Math.max(1, initialSlots);
    this.#next = new Int32Array(this.#slots * LSH_TABLES).fill(-1);
    this.#prev = new Int32Array(this.#slots * LSH_TABLES).fill(-1);
    this.#keys = new Uint16Array(this.#slots * LSH_TABLES);
    this.#seen = new Uint32Array(this.#slots);
  }

  /** Make room for slots `0 .. slots-1`. */
  grow(slots: number): void {
    if (slots <= this.#slots) return;
    const next = new Int32Array(slots * LSH_TABLES).fill(-1);
    const prev = new Int32Array(slots * LSH_TABLES).fill(-1);
    const keys = new Uint16Array(slots * LSH_TABLES);
    next.set(this.#next);
    prev.set(this.#prev);
    keys.set(this.#keys);
    this.#next = next;
    this.#prev = prev;
    this.#keys = keys;
    const seen = new Uint32Array(slots);
    seen.set(this.#seen);
    this.#seen = seen;
    this.#slots = slots;
  }

  /** Compute the table keys of `vectors[offset .. offset+768)` into `out` (length {@link LSH_TABLES}). */
  hash(vectors: Float32Array, offset: number, out: Uint16Array): void {
    const buf = this.#buf;
    for (let i = 0; i < EMBEDDING_DIM; i++) buf[i] = vectors[offset + i]!;
    buf.fill(0, EMBEDDING_DIM);
    for (let r = 0; r < ROUNDS; r++) {
      const base = r * PADDED;
      for (let i = 0; i < PADDED; i++) buf[i] = buf[i]! * this.#signs[base + i]!;
      fwht(buf);
    }
    for (let t = 0; t < LSH_TABLES; t++) {
      let key = 0;
      const base = t * LSH_BITS;
      for (let b = 0; b < LSH_BITS; b++) if (buf[base + b]! > 0) key |= 1 << b;
      out[t] = key;
    }
  }

  /** Add `slot` under the given keys. */
  insert(slot: number, keys: Uint16Array): void {
    for (let t = 0; t < LSH_TABLES; t++) {
      const key = keys[t]!;
      const node = slot * LSH_TABLES + t;
      const headAt = t * BUCKETS + key;
      const head = this.#heads[headAt]!;
      this.#keys[node] = key;
      this.#prev[node] = -1;
      this.#next[node] = head;
      if (head >= 0) this.#prev[head * LSH_TABLES + t] = slot;
      this.#heads[headAt] = slot;
    }
  }

  /** Remove `slot` from every table. */
  remove(slot: number): void {
    for (let t = 0; t < LSH_TABLES; t++) {
      const node = slot * LSH_TABLES + t;
      const prev = this.#prev[node]!;
      const next = this.#next[node]!;
      if (prev >= 0) this.#next[prev * LSH_TABLES + t] = next;
      else this.#heads[t * BUCKETS + this.#keys[node]!] = next;
      if (next >= 0) this.#prev[next * LSH_TABLES + t] = prev;
      this.#prev[node] = -1;
      this.#next[node] = -1;
    }
  }

  /**
   * Collect into `out` each slot sharing at least one bucket with `keys`, once; returns how many.
   * `out` grows when needed (the caller keeps the returned array).
   */
  candidates(keys: Uint16Array, out: { slots: Int32Array }): number {
    const stamp = ++this.#epoch;
    if (stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#epoch = 1;
    }
    let n = 0;
    for (let t = 0; t < LSH_TABLES; t++) {
      let slot = this.#heads[t * BUCKETS + keys[t]!]!;
      while (slot >= 0) {
        if (this.#seen[slot] !== this.#epoch) {
          this.#seen[slot] = this.#epoch;
          if (n === out.slots.length) {
            const bigger = new Int32Array(n * 2);
            bigger.set(out.slots);
            out.slots = bigger;
          }
          out.slots[n++] = slot;
        }
        slot = this.#next[slot * LSH_TABLES + t]!;
      }
    }
    return n;
  }
}
