import { EMBEDDING_DIM } from '../mapping/types.js';
import { throwIfAborted } from '../shared/abort.js';
import type { EngramClient } from '../target/engram-client.js';
import { mapLimit } from './map-limit.js';
import { PRESENT, type NearestMemory, type SampleTargetReader, type TargetSample } from './target-sample.js';

/** Engram's largest list page. */
const MAX_PAGE = 1000;

export interface EngramSampleReaderOptions {
  /** Memories per space before Engram evicts (config target.capacityPerSpace). */
  capacityPerSpace: number;
  /**
   * `list` (default): page through every sampled space with `include_embeddings=true`, the only way
   * Engram gives embeddings back. `by-id`: GET each sampled memory (presence and content, no embedding).
   */
  mode?: 'list' | 'by-id';
  /** Requests in flight (default 4 list pages, 16 GETs). */
  concurrency?: number;
}

/**
 * Reads sampled memories back from Engram. Embeddings come only from the list endpoint, so every space
 * holding a sampled id is listed whole (1,000 per page, pages fetched concurrently). Listing order is
 * not stable while writes happen, so a sampled id the listing did not show is looked up by id before
 * it is called missing (found that way, its embedding stays unread). Edges: Engram has no edge API.
 */
export class EngramSampleReader implements SampleTargetReader {
  readonly kind = 'engram' as const;
  readonly location: string;
  readonly edges = false;
  readonly dedup = true;
  readonly capacityPerSpace: number;
  readonly #client: EngramClient;
  readonly #mode: 'list' | 'by-id';
  readonly #concurrency: number | undefined;

  constructor(client: EngramClient, options: EngramSampleReaderOptions) {
    this.#client = client;
    this.location = client.url;
    this.capacityPerSpace = options.capacityPerSpace;
    this.#mode = options.mode ?? 'list';
    this.#concurrency = options.concurrency;
  }

  async read(sample: TargetSample, spaces: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const space of spaces) {
      throwIfAborted(signal);
      const count = await this.#client.spaceCount(space, signal);
      sample.spaceCounts.set(space, count);
      const ids = sample.index.get(space);
      if (!ids) continue;
      if (this.#mode === 'list') await this.#list(sample, space, count, ids, signal);
      const unseen = [...ids].filter(([, row]) => sample.present[row] !== PRESENT);
      await mapLimit(unseen, this.#concurrency ?? 16, async ([id, row]) => {
        const memory = await this.#client.getMemory(space, id, signal);
        if (memory) sample.found(row, memory.content);
      });
    }
  }

  async #list(sample: TargetSample, space: string, count: number, ids: Map<string, number>, signal?: AbortSignal): Promise<void> {
    const take = (memories: Awaited<ReturnType<EngramClient['listMemories']>>['memories']): void => {
      sample.scanned += memories.length;
      for (const m of memories) {
        const row = ids.get(m.id);
        if (row !== undefined) sample.found(row, m.content, m.embedding);
      }
    };
    const offsets = Array.from({ length: Math.ceil(count / MAX_PAGE) }, (_, i) => i * MAX_PAGE);
    let lastFull = false;
    await mapLimit(offsets, this.#concurrency ?? 4, async (offset, i) => {
      const page = await this.#client.listMemories(space, offset, MAX_PAGE, true, signal);
      take(page.memories);
      if (i === offsets.length - 1) lastFull = page.memories.length === MAX_PAGE;
    });
    // The space grew while it was listed: read on until a short page.
    for (let offset = offsets.length * MAX_PAGE; lastFull; offset += MAX_PAGE) {
      const page = await this.#client.listMemories(space, offset, MAX_PAGE, true, signal);
      take(page.memories);
      lastFull = page.memories.length === MAX_PAGE;
    }
  }

  async countSpaces(spaces: readonly string[], signal?: AbortSignal): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const space of spaces) counts.set(space, await this.#client.spaceCount(space, signal));
    return counts;
  }

  /** Engram's own similarity search (recall by embedding, max(0, cosine)) for the nearest other memory. */
  async nearest(space: string, vector: Float32Array, excludeId: string, signal?: AbortSignal): Promise<NearestMemory | null> {
    if (vector.length !== EMBEDDING_DIM) return null;
    const hits = await this.#client.recall(space, vector, 2, signal);
    const hit = hits.find((h) => h.id !== excludeId);
    return hit ? { id: hit.id, cosine: hit.score } : null;
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
