import { EMBEDDING_DIM } from '../mapping/types.js';
import { throwIfAborted } from '../shared/abort.js';
import type { EngramClient } from '../target/engram-client.js';
import { mapLimit } from '../shared/map-limit.js';
import type { NearestMemory, SampleTargetReader, TargetSample } from './target-sample.js';

export interface EngramSampleReaderOptions {
  /** Memories per space before Engram evicts (config target.capacityPerSpace). */
  capacityPerSpace: number;
  /**
   * `list` (default): page through every sampled space with `include_embeddings=true`, the only way
   * Engram gives embeddings back, and GET each sampled id. `by-id`: GETs only (no embeddings).
   */
  mode?: 'list' | 'by-id';
  /** GETs in flight (default 16); list pages are read one at a time. */
  concurrency?: number;
}

/**
 * Reads sampled memories back from Engram. Presence and content come from a GET of every sampled id:
 * measured on the real server, a memory that a near-duplicate with a higher confidence replaced still
 * shows in the listing while GET answers 404, so a listed id is not proof it is stored. Embeddings come
 * only from the list endpoint, so in `list` mode every space holding a sampled id is listed whole
 * (1,000 per page, no `tier`: each memory once; ids are deduplicated anyway, since order is not stable
 * while writes happen), which also counts the space by distinct ids. Edges: Engram has no edge API.
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
      const ids = sample.index.get(space);
      const listed = new Map<string, number[]>();
      if (this.#mode === 'list' && ids) {
        const seen = await this.#client.forEachMemory(
          space,
          true,
          (memories) => {
            sample.scanned += memories.length;
            for (const m of memories) if (m.embedding && ids.has(m.id)) listed.set(m.id, m.embedding);
          },
          signal,
        );
        sample.spaceCounts.set(space, seen.size);
      } else {
        sample.spaceCounts.set(space, await this.#client.spaceCount(space, signal));
      }
      if (!ids) continue;
      await mapLimit([...ids], this.#concurrency ?? 16, async ([id, row]) => {
        const memory = await this.#client.getMemory(space, id, signal);
        if (memory) sample.found(row, memory.content, listed.get(id));
      });
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
