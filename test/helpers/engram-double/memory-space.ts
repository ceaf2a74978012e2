/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): one memory space (tenant).
 * Embeddings live in one contiguous, growable Float32Array (row per slot); freed slots are reused,
 * so listing order is slot order and changes after evictions, like the real server's unstable order.
 * Rules mirrored from docs/engram-api.md: near-duplicate dedup (cosine >= threshold: skip the write,
 * keep the higher confidence on the existing memory), same id + cosine > 0.999 is a no-op, and past
 * `capacity` the lowest-activation memory is evicted (activation = confidence, ties: oldest write;
 * the write just made can itself be the victim when its confidence is strictly the lowest).
 */
import { DedupIndex, LSH_TABLES } from './dedup-index.js';
import { MinActivationHeap } from './min-activation-heap.js';
import { EMBEDDING_DIM, SAME_ID_NOOP_COSINE, type RememberOutcome, type StoredMemory } from './types.js';

const D = EMBEDDING_DIM;

/** One write as the store sees it. */
export interface MemoryInput {
  id: string;
  content: string;
  embedding: Float32Array;
  confidence: number;
  timestampMs: number;
}

/** Result of {@link MemorySpace.remember}. */
export interface RememberResult {
  outcome: RememberOutcome;
  /** Id of the memory that now holds the information (the existing one after dedup). */
  heldId: string;
  /** Activation of that memory after the write. */
  activation: number;
  /** Id evicted to stay within capacity, if any. */
  evictedId?: string;
}

/** Settings of a space. */
export interface MemorySpaceSettings {
  capacity: number;
  dedupThreshold: number;
  exactScanBelow: number;
}

/** Dot product of `a[offA+from .. offA+to)` and `b[offB+from .. offB+to)`; `to - from` divisible by 4. */
export function dotRange(a: Float32Array, offA: number, b: Float32Array, offB: number, from: number, to: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = from; i < to; i += 4) {
    s0 += a[offA + i]! * b[offB + i]!;
    s1 += a[offA + i + 1]! * b[offB + i + 1]!;
    s2 += a[offA + i + 2]! * b[offB + i + 2]!;
    s3 += a[offA + i + 3]! * b[offB + i + 3]!;
  }
  return s0 + s1 + s2 + s3;
}

/** Dot product of two 768-wide rows. */
export function dot768(a: Float32Array, offA: number, b: Float32Array, offB: number): number {
  return dotRange(a, offA, b, offB, 0, D);
}

/**
 * Candidates are verified in two steps: the dot over the first PREFIX dims plus the Cauchy-Schwarz
 * bound |tail(a)|*|tail(b)| is an exact upper bound of the full dot, so most unrelated candidates
 * are rejected after 128 of 768 multiply-adds without ever missing a true duplicate.
 */
const PREFIX = 128;

/** A space's memories, dedup index and eviction heap. */
export class MemorySpace {
  readonly id: string;
  readonly settings: MemorySpaceSettings;
  #slots = 0;
  #vectors = new Float32Array(0);
  #norms = new Float64Array(0);
  #tailNorms = new Float64Array(0);
  #confidence = new Float64Array(0);
  #sequence = new Float64Array(0);
  #timestamp = new Float64Array(0);
  #ids: (string | undefined)[] = [];
  #contents: string[] = [];
  readonly #bySlot = new Map<string, number>();
  readonly #free: number[] = [];
  #highWater = 0;
  #writes = 0;
  readonly #index: DedupIndex;
  readonly #heap: MinActivationHeap;
  readonly #keys = new Uint16Array(LSH_TABLES);
  readonly #candidates = { slots: new Int32Array(256) };

  constructor(id: string, settings: MemorySpaceSettings) {
    this.id = id;
    this.settings = settings;
    const initial = Math.min(64, settings.capacity + 1);
    this.#index = new DedupIndex(initial);
    this.#heap = new MinActivationHeap(initial, {
      activation: (s) => this.#confidence[s]!,
      sequence: (s) => this.#sequence[s]!,
    });
    this.#grow(initial);
  }

  /** Number of memories held. */
  get count(): number {
    return this.#bySlot.size;
  }

  /** Store one memory under the dedup, same-id and capacity rules. */
  remember(input: MemoryInput): RememberResult {
    const e = input.embedding;
    const tailSq = dotRange(e, 0, e, 0, PREFIX, D);
    const norm = Math.sqrt(dotRange(e, 0, e, 0, 0, PREFIX) + tailSq);
    const tail = Math.sqrt(tailSq);
    const existing = this.#bySlot.get(input.id);
    if (existing !== undefined && this.#cosine(existing, e, norm) > SAME_ID_NOOP_COSINE) {
      return { outcome: 'noop', heldId: input.id, activation: this.#confidence[existing]! };
    }
    this.#index.hash(e, 0, this.#keys);
    const dup = this.#nearest(e, norm, tail);
    if (dup >= 0) {
      if (input.confidence > this.#confidence[dup]!) {
        this.#confidence[dup] = input.confidence;
        this.#heap.update(dup);
      }
      return { outcome: 'deduplicated', heldId: this.#ids[dup]!, activation: this.#confidence[dup]! };
    }
    if (existing !== undefined) {
      this.#index.remove(existing);
      this.#write(existing, input, norm, tail);
      this.#heap.update(existing);
      return { outcome: 'replaced', heldId: input.id, activation: input.confidence };
    }
    const slot = this.#allocate();
    this.#write(slot, input, norm, tail);
    this.#bySlot.set(input.id, slot);
    this.#heap.push(slot);
    const result: RememberResult = { outcome: 'stored', heldId: input.id, activation: input.confidence };
    if (this.#bySlot.size > this.settings.capacity) result.evictedId = this.#evict();
    return result;
  }

  /** The memory stored under `id`, embedding copied. */
  get(id: string): StoredMemory | undefined {
    const slot = this.#bySlot.get(id);
    return slot === undefined ? undefined : this.#memory(slot, true);
  }

  /** A page of memories in slot order (the real server's order is not stable either). */
  list(offset: number, limit: number, withEmbeddings: boolean): StoredMemory[] {
    const out: StoredMemory[] = [];
    let seen = 0;
    for (let slot = 0; slot < this.#highWater && out.length < limit; slot++) {
      if (this.#ids[slot] === undefined) continue;
      if (seen++ >= offset) out.push(this.#memory(slot, withEmbeddings));
    }
    return out;
  }

  /** Exact top-k by max(0, cosine) with score >= threshold, best first (ties: id order). */
  recall(cue: Float32Array, maxResults: number, threshold: number): { memory: StoredMemory; score: number }[] {
    const norm = Math.sqrt(dot768(cue, 0, cue, 0));
    const hits: { slot: number; score: number }[] = [];
    for (let slot = 0; slot < this.#highWater; slot++) {
      if (this.#ids[slot] === undefined) continue;
      const score = Math.max(0, this.#cosine(slot, cue, norm));
      if (score >= threshold) hits.push({ slot, score });
    }
    hits.sort((a, b) => b.score - a.score || (this.#ids[a.slot]! < this.#ids[b.slot]! ? -1 : 1));
    return hits.slice(0, maxResults).map((h) => ({ memory: this.#memory(h.slot, false), score: h.score }));
  }

  #cosine(slot: number, v: Float32Array, vNorm: number): number {
    const n = this.#norms[slot]! * vNorm;
    return n === 0 ? 0 : dot768(this.#vectors, slot * D, v, 0) / n;
  }

  /** Slot of the most similar memory at or above the dedup threshold, or -1. */
  #nearest(v: Float32Array, vNorm: number, vTail: number): number {
    let best = -1;
    let bestCos = this.settings.dedupThreshold;
    const exact = this.#bySlot.size <= this.settings.exactScanBelow;
    const n = exact ? this.#highWater : this.#index.candidates(this.#keys, this.#candidates);
    const slots = this.#candidates.slots;
    for (let i = 0; i < n; i++) {
      const slot = exact ? i : slots[i]!;
      if (exact && this.#ids[slot] === undefined) continue;
      const normProduct = this.#norms[slot]! * vNorm;
      if (normProduct === 0) continue;
      const off = slot * D;
      const head = dotRange(this.#vectors, off, v, 0, 0, PREFIX);
      if (head + this.#tailNorms[slot]! * vTail < (bestCos - 1e-9) * normProduct) continue;
      const c = (head + dotRange(this.#vectors, off, v, 0, PREFIX, D)) / normProduct;
      if (c >= bestCos && (best < 0 || c > bestCos)) {
        best = slot;
        bestCos = c;
      }
    }
    return best;
  }

  #write(slot: number, input: MemoryInput, norm: number, tail: number): void {
    this.#vectors.set(input.embedding, slot * D);
    this.#norms[slot] = norm;
    this.#tailNorms[slot] = tail;
    this.#confidence[slot] = input.confidence;
    this.#sequence[slot] = this.#writes++;
    this.#timestamp[slot] = input.timestampMs;
    this.#ids[slot] = input.id;
    this.#contents[slot] = input.content;
    this.#index.insert(slot, this.#keys);
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#highWater === this.#slots) this.#grow(Math.min(this.#slots * 2, this.settings.capacity + 1));
    return this.#highWater++;
  }

  #evict(): string {
    const slot = this.#heap.peek();
    const id = this.#ids[slot]!;
    this.#heap.remove(slot);
    this.#index.remove(slot);
    this.#bySlot.delete(id);
    this.#ids[slot] = undefined;
    this.#contents[slot] = '';
    this.#free.push(slot);
    return id;
  }

  #memory(slot: number, withEmbedding: boolean): StoredMemory {
    return {
      id: this.#ids[slot]!,
      content: this.#contents[slot]!,
      confidence: this.#confidence[slot]!,
      timestampMs: this.#timestamp[slot]!,
      embedding: withEmbedding ? this.#vectors.slice(slot * D, slot * D + D) : new Float32Array(0),
    };
  }

  #grow(slots: number): void {
    const vectors = new Float32Array(slots * D);
    vectors.set(this.#vectors);
    this.#vectors = vectors;
    this.#norms = grown(this.#norms, slots);
    this.#tailNorms = grown(this.#tailNorms, slots);
    this.#confidence = grown(this.#confidence, slots);
    this.#sequence = grown(this.#sequence, slots);
    this.#timestamp = grown(this.#timestamp, slots);
    this.#index.grow(slots);
    this.#heap.grow(slots);
    this.#slots = slots;
  }
}

function grown(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}
