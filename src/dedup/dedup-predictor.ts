/**
 * Predicts which writes the real Engram server drops as near-duplicates (docs/engram-api.md): each write
 * is compared with every memory of its space; the most similar one at cosine >= 0.95 decides. When the
 * write's confidence is not above that memory's, the write is skipped (the client still gets 201); when
 * it is strictly higher, the write replaces that memory (which disappears). No match: the write is stored.
 *
 * The space's held memories live in a usearch HNSW index (cosine metric, f32), one per space or shard.
 * HNSW is approximate, but the distances it returns are exact for the candidates it finds, so a reported
 * match is never a false one; a missed one is possible and measured in bench/dedup-index.ts (recall).
 * Because the held set never contains two memories at >= 0.95 of each other (the server keeps it so), a
 * near-duplicate is by far the nearest point of its query, which is the easy case for HNSW.
 */
import { createRequire } from 'node:module';
import type { Index as UsearchIndex } from 'usearch';
import { EMBEDDING_DIM } from '../mapping/types.js';

/** Cosine at or above which Engram treats two memories as duplicates. */
export const DEDUP_THRESHOLD = 0.95;
/** Re-sending an id whose stored version is this close is a no-op on the server. */
const SAME_ID_NOOP = 0.999;
/** Neighbours asked of the index per write; the best match is the nearest, the rest guard against ties. */
const NEIGHBOURS = 4;

type UsearchModule = { Index: new (config: Record<string, unknown>) => UsearchIndex };
// usearch's ESM entry cannot find its native build (it recurses on its own directory); the CJS one can.
const usearch = createRequire(import.meta.url)('usearch') as UsearchModule;

/** What the server does with one write. */
export type PredictedOutcome =
  /** stored as a new memory */
  | { kind: 'stored' }
  /** the same id with (nearly) the same embedding: nothing changes */
  | { kind: 'noop' }
  /** skipped: `survivor` holds it (cosine >= 0.95, confidence not above the survivor's) */
  | { kind: 'dropped'; survivor: string; cosine: number }
  /** stored, and `replaced` (a near-duplicate of lower confidence) disappears */
  | { kind: 'replaces'; replaced: string; cosine: number };

/** Index settings; the defaults are the ones measured in bench/dedup-index.ts. */
export interface PredictorIndexOptions {
  /** HNSW edges per node (default 16). */
  connectivity?: number;
  /** Candidate list while adding (default 64: a third of the cost of 128, recall measured in the bench). */
  expansionAdd?: number;
  /** Candidate list while searching (default 64). */
  expansionSearch?: number;
  threshold?: number;
}

/** One space (or shard) as the server will hold it, write after write. */
export class SpacePredictor {
  readonly space: string;
  readonly #index: UsearchIndex;
  readonly #threshold: number;
  readonly #byKey = new Map<bigint, { id: string; confidence: number }>();
  readonly #keyOf = new Map<string, bigint>();
  #nextKey = 0n;

  constructor(space: string, options: PredictorIndexOptions = {}) {
    this.space = space;
    this.#threshold = options.threshold ?? DEDUP_THRESHOLD;
    this.#index = new usearch.Index({
      dimensions: EMBEDDING_DIM,
      metric: 'cos',
      quantization: 'f32',
      connectivity: options.connectivity ?? 16,
      expansion_add: options.expansionAdd ?? 64,
      expansion_search: options.expansionSearch ?? 64,
      multi: false,
    });
  }

  /** Memories held. */
  get size(): number {
    return this.#byKey.size;
  }

  /** Is `id` held? */
  holds(id: string): boolean {
    return this.#keyOf.has(id);
  }

  /** The most similar held memory at or above the threshold, or null. */
  nearest(embedding: Float32Array): { id: string; key: bigint; cosine: number; confidence: number } | null {
    if (this.#byKey.size === 0) return null;
    const found = this.#index.search(embedding, Math.min(NEIGHBOURS, this.#byKey.size), 1);
    let best: { id: string; key: bigint; cosine: number; confidence: number } | null = null;
    for (let i = 0; i < found.keys.length; i++) {
      const cosine = 1 - found.distances[i]!;
      const held = this.#byKey.get(found.keys[i]!);
      if (held === undefined || cosine < this.#threshold) continue;
      if (best === null || cosine > best.cosine) best = { id: held.id, key: found.keys[i]!, cosine, confidence: held.confidence };
    }
    return best;
  }

  /** Applies one write as the server would, and says what happened. */
  write(id: string, embedding: Float32Array, confidence: number): PredictedOutcome {
    const match = this.nearest(embedding);
    if (match === null) {
      this.#replaceOwn(id);
      this.#add(id, embedding, confidence);
      return { kind: 'stored' };
    }
    const sameId = match.id === id;
    if (sameId && match.cosine > SAME_ID_NOOP) return { kind: 'noop' };
    if (!(confidence > match.confidence)) return sameId ? { kind: 'noop' } : { kind: 'dropped', survivor: match.id, cosine: match.cosine };
    this.#remove(match.key);
    this.#replaceOwn(id);
    this.#add(id, embedding, confidence);
    return sameId ? { kind: 'stored' } : { kind: 'replaces', replaced: match.id, cosine: match.cosine };
  }

  /** An update that lands replaces the id's previous version. */
  #replaceOwn(id: string): void {
    const key = this.#keyOf.get(id);
    if (key !== undefined) this.#remove(key);
  }

  #add(id: string, embedding: Float32Array, confidence: number): void {
    const key = this.#nextKey++;
    this.#index.add(key, embedding, 1);
    this.#byKey.set(key, { id, confidence });
    this.#keyOf.set(id, key);
  }

  #remove(key: bigint): void {
    const held = this.#byKey.get(key);
    if (held === undefined) return;
    this.#index.remove(key);
    this.#byKey.delete(key);
    this.#keyOf.delete(held.id);
  }
}

/** Per-space predictors, made on first use. */
export class DedupPredictor {
  readonly #spaces = new Map<string, SpacePredictor>();
  readonly #options: PredictorIndexOptions;

  constructor(options: PredictorIndexOptions = {}) {
    this.#options = options;
  }

  space(space: string): SpacePredictor {
    let p = this.#spaces.get(space);
    if (p === undefined) {
      p = new SpacePredictor(space, this.#options);
      this.#spaces.set(space, p);
    }
    return p;
  }

  write(space: string, id: string, embedding: Float32Array, confidence: number): PredictedOutcome {
    return this.space(space).write(id, embedding, confidence);
  }

  /** Frees the indexes of spaces no later write goes to. */
  release(spaces: Iterable<string>): void {
    for (const s of spaces) this.#spaces.delete(s);
  }

  get spaces(): string[] {
    return [...this.#spaces.keys()];
  }
}
