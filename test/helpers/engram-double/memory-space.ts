/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): one memory space (tenant).
 * Embeddings live in one contiguous, growable Float32Array (row per slot); freed slots are reused,
 * so listing order is slot order and changes after evictions, like the real server's unstable order.
 * Rules mirrored from the real server (measured, see engram-double-server.ts): every write, an update
 * of an id included, is compared with every memory (its own previous version too) through a similarity
 * cache of the first 1,000 (new id, existing id) pairs, never cleared. The best match at cosine >= the
 * threshold decides: the same id above 0.999 is skipped (`noop`); a strictly higher confidence replaces
 * the match (another id disappears from reads but stays listed as a ghost; the own id takes the new
 * version); otherwise the write is skipped (`deduplicated`). No match: stored (an update lands).
 * Past `capacity` the lowest-confidence memory is evicted (ties: oldest write; the write just made can
 * itself be the victim when its confidence is strictly the lowest).
 */
import { DedupIndex, LSH_TABLES } from './dedup-index.js';
import { MinActivationHeap } from './min-activation-heap.js';
import { SimilarityCache } from './similarity-cache.js';
import { DEFAULT_CAPACITY, EMBEDDING_DIM, SAME_ID_NOOP_COSINE, type RememberOutcome, type StoredMemory } from './types.js';

/** Activation at or above which the real server keeps a memory in its hot tier (recall by cosine). */
export const HOT_ACTIVATION = 0.7;
/** The server's recall cue asks each tier for at most this many results, whatever `max_results` says. */
const CUE_MAX_RESULTS = 100;

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
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
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
  #activation = new Float64Array(0);
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
  readonly #cache = new SimilarityCache();
  readonly #ghosts = new Map<string, StoredMemory>();
  #versions = 0;

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

  /**
   * The real server's `tier_counts.hot` (its `memory_count`): +1 for every write stored as new (an update
   * of an id that lands as new included), -1 per eviction; a replacement leaves it unchanged.
   */
  get versions(): number {
    return this.#versions;
  }

  /** Memories a near-duplicate replaced: gone from reads, still listed (measured on the real server). */
  ghosts(): StoredMemory[] {
    return [...this.#ghosts.values()];
  }

  /** Store one memory under the dedup, same-id and capacity rules. */
  remember(input: MemoryInput): RememberResult {
    const e = input.embedding;
    const tailSq = dotRange(e, 0, e, 0, PREFIX, D);
    const norm = Math.sqrt(dotRange(e, 0, e, 0, 0, PREFIX) + tailSq);
    const tail = Math.sqrt(tailSq);
    this.#index.hash(e, 0, this.#keys);
    const match = this.#bestMatch(input.id, e, norm, tail);
    let replacing = false;
    if (match !== null) {
      const sameId = this.#ids[match.slot] === input.id;
      if (sameId && match.cosine > SAME_ID_NOOP_COSINE) return { outcome: 'noop', heldId: input.id, activation: this.#activation[match.slot]! };
      if (!(input.confidence > this.#confidence[match.slot]!)) {
        return { outcome: sameId ? 'noop' : 'deduplicated', heldId: this.#ids[match.slot]!, activation: this.#activation[match.slot]! };
      }
      if (!sameId) this.#drop(match.slot, true);
      replacing = true;
    } else {
      this.#versions++;
    }
    // The server's pressure is relative to its fixed 100,000, whatever capacity this double was given.
    const activation = input.confidence * (1 - 0.5 * Math.min(1, this.#bySlot.size / DEFAULT_CAPACITY));
    this.#ghosts.delete(input.id);
    const existing = this.#bySlot.get(input.id);
    if (existing !== undefined) {
      this.#index.remove(existing);
      this.#write(existing, input, norm, tail, activation);
      this.#heap.update(existing);
      return { outcome: 'replaced', heldId: input.id, activation };
    }
    const slot = this.#allocate();
    this.#write(slot, input, norm, tail, activation);
    this.#bySlot.set(input.id, slot);
    this.#heap.push(slot);
    const result: RememberResult = { outcome: replacing ? 'replaced' : 'stored', heldId: input.id, activation };
    if (this.#bySlot.size > this.settings.capacity) result.evictedId = this.#evict();
    return result;
  }

  /** The memory stored under `id`, embedding copied. */
  get(id: string): StoredMemory | undefined {
    const slot = this.#bySlot.get(id);
    return slot === undefined ? undefined : this.#memory(slot, true);
  }

  /** A page of memories in slot order (the real server's order is not stable either); `warmOnly`: activation < 0.7. */
  list(offset: number, limit: number, withEmbeddings: boolean, warmOnly = false): StoredMemory[] {
    const out: StoredMemory[] = [];
    let seen = 0;
    for (let slot = 0; slot < this.#highWater && out.length < limit; slot++) {
      if (this.#ids[slot] === undefined || (warmOnly && this.#activation[slot]! >= HOT_ACTIVATION)) continue;
      if (seen++ >= offset) out.push(this.#memory(slot, withEmbeddings));
    }
    return out;
  }

  /** Memories held in the warm tier (activation < 0.7). */
  get warmCount(): number {
    let n = 0;
    for (const slot of this.#bySlot.values()) if (this.#activation[slot]! < HOT_ACTIVATION) n++;
    return n;
  }

  /**
   * Recall as the real server does it: hot-tier memories (activation >= 0.7) score their cosine (kept
   * when >= threshold, best first, at most the cue's 100); only when fewer than 100 come back, warm-tier
   * ones (activation < 0.7, confidence >= threshold) are added scored 0.95 x confidence, without looking
   * at the embedding. Ghosts of replaced memories take part. The merged list is sorted by score (ties:
   * id order), cut to 100, then to `maxResults` (the HTTP handler's cut).
   */
  recall(cue: Float32Array, maxResults: number, threshold: number): { memory: StoredMemory; score: number }[] {
    const norm = Math.sqrt(dot768(cue, 0, cue, 0));
    const hot: { memory: StoredMemory; score: number }[] = [];
    const warm: { memory: StoredMemory; score: number }[] = [];
    const cosine = (v: Float32Array, vNorm: number): number => (vNorm * norm === 0 ? 0 : dot768(v, 0, cue, 0) / (vNorm * norm));
    for (let slot = 0; slot < this.#highWater; slot++) {
      if (this.#ids[slot] === undefined) continue;
      if (this.#activation[slot]! >= HOT_ACTIVATION) {
        const score = this.#cosine(slot, cue, norm);
        if (score >= threshold && score >= 0) hot.push({ memory: this.#memory(slot, false), score });
      } else if (this.#confidence[slot]! >= threshold) warm.push({ memory: this.#memory(slot, false), score: 0.95 * this.#confidence[slot]! });
    }
    for (const g of this.#ghosts.values()) {
      const memory = { ...g, embedding: new Float32Array(0) };
      if ((g.activation ?? 0) >= HOT_ACTIVATION) {
        const score = cosine(g.embedding, Math.sqrt(dot768(g.embedding, 0, g.embedding, 0)));
        if (score >= threshold && score >= 0) hot.push({ memory, score });
      } else if (g.confidence >= threshold) warm.push({ memory, score: 0.95 * g.confidence });
    }
    const order = (a: { memory: StoredMemory; score: number }, b: { memory: StoredMemory; score: number }): number =>
      b.score - a.score || (a.memory.id < b.memory.id ? -1 : 1);
    const results = hot.sort(order).slice(0, CUE_MAX_RESULTS);
    if (results.length < CUE_MAX_RESULTS) results.push(...warm);
    return results.sort(order).slice(0, Math.min(CUE_MAX_RESULTS, maxResults));
  }

  #cosine(slot: number, v: Float32Array, vNorm: number): number {
    const n = this.#norms[slot]! * vNorm;
    return n === 0 ? 0 : dot768(this.#vectors, slot * D, v, 0) / n;
  }

  /**
   * The most similar memory at or above the dedup threshold (the write's own id included), or null.
   * Pairs in the similarity cache use their cached cosine; while the cache has room every pair is
   * computed in full and cached, after that candidates are pruned by the prefix bound.
   */
  #bestMatch(id: string, v: Float32Array, vNorm: number, vTail: number): { slot: number; cosine: number } | null {
    let best = -1;
    let bestCos = this.settings.dedupThreshold;
    const exact = this.#bySlot.size <= this.settings.exactScanBelow;
    const n = exact ? this.#highWater : this.#index.candidates(this.#keys, this.#candidates);
    const slots = this.#candidates.slots;
    const own = this.#bySlot.get(id);
    const consider = (slot: number): void => {
      const c = this.#similarity(id, slot, v, vNorm, vTail, bestCos);
      if (c >= bestCos && (best < 0 || c > bestCos)) {
        best = slot;
        bestCos = c;
      }
    };
    for (let i = 0; i < n; i++) {
      const slot = exact ? i : slots[i]!;
      if (this.#ids[slot] === undefined || (!exact && slot === own)) continue;
      consider(slot);
    }
    if (!exact && own !== undefined) consider(own);
    return best < 0 ? null : { slot: best, cosine: bestCos };
  }

  /** Cosine of the write `v` (id `id`) with `slot`, from the cache when cached; -1 when the bound rules it out. */
  #similarity(id: string, slot: number, v: Float32Array, vNorm: number, vTail: number, floor: number): number {
    const cached = this.#cache.get(id, this.#ids[slot]!);
    if (cached !== undefined) return cached;
    const normProduct = this.#norms[slot]! * vNorm;
    const off = slot * D;
    const head = dotRange(this.#vectors, off, v, 0, 0, PREFIX);
    if (this.#cache.full && (normProduct === 0 || head + this.#tailNorms[slot]! * vTail < (floor - 1e-9) * normProduct)) return -1;
    const c = normProduct === 0 ? 0 : (head + dotRange(this.#vectors, off, v, 0, PREFIX, D)) / normProduct;
    this.#cache.offer(id, this.#ids[slot]!, c);
    return c;
  }

  /** Removes `slot` from the space; as a ghost it stays listed and recallable. */
  #drop(slot: number, ghost: boolean): void {
    if (ghost) this.#ghosts.set(this.#ids[slot]!, this.#memory(slot, true));
    this.#heap.remove(slot);
    this.#index.remove(slot);
    this.#bySlot.delete(this.#ids[slot]!);
    this.#ids[slot] = undefined;
    this.#contents[slot] = '';
    this.#free.push(slot);
  }

  #write(slot: number, input: MemoryInput, norm: number, tail: number, activation: number): void {
    this.#activation[slot] = activation;
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
    this.#drop(slot, false);
    this.#versions--;
    return id;
  }

  #memory(slot: number, withEmbedding: boolean): StoredMemory {
    return {
      id: this.#ids[slot]!,
      content: this.#contents[slot]!,
      confidence: this.#confidence[slot]!,
      timestampMs: this.#timestamp[slot]!,
      activation: this.#activation[slot]!,
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
    this.#activation = grown(this.#activation, slots);
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
