/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): the real server's dedup similarity cache, keyed
 * by (new id, existing id), holding the first 1,000 pairs it computed and never cleared. A cached pair
 * keeps its old cosine after either memory changes, so the outcome of an update depends on history
 * (measured: after a small edit of an id, a large edit of it at the same confidence is dropped).
 */

/** Pairs the real server caches per space. */
export const SIMILARITY_CACHE_PAIRS = 1000;

export class SimilarityCache {
  readonly #pairs = new Map<string, number>();

  /** True once it holds its 1,000 pairs: nothing more is cached. */
  get full(): boolean {
    return this.#pairs.size >= SIMILARITY_CACHE_PAIRS;
  }

  get(newId: string, existingId: string): number | undefined {
    return this.#pairs.size === 0 ? undefined : this.#pairs.get(`${newId}\u0000${existingId}`);
  }

  /** Caches the pair's cosine while there is room. */
  offer(newId: string, existingId: string, cosine: number): void {
    if (!this.full) this.#pairs.set(`${newId}\u0000${existingId}`, cosine);
  }
}
