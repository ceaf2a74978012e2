import { sharedFloat32 } from '../shared/shared-memory.js';
import { EMBEDDING_DIM } from '../mapping/types.js';

/** `present[row]`: not found. */
export const ABSENT = 0;
/** `present[row]`: found, its stored embedding is in `vectors`. */
export const PRESENT = 1;
/** `present[row]`: found (by id), but its embedding could not be read back. */
export const PRESENT_NO_VECTOR = 2;

/**
 * What the target holds for each sampled row: found or not, content, the stored embedding (row r of a
 * shared Float32Array, so the pool compares it in place), and the edge count where the target has edges.
 */
export class TargetSample {
  readonly rows: number;
  /** Space → memory id → row. */
  readonly index = new Map<string, Map<string, number>>();
  readonly present: Uint8Array;
  readonly contents: Array<string | undefined>;
  readonly vectors: Float32Array;
  /** Edges stored with this memory as source; null when the target cannot hold edges. */
  edgeCounts: Int32Array | null = null;
  /** Memories held per space when the target was read. */
  readonly spaceCounts = new Map<string, number>();
  /** Lines or memories the reader went through. */
  scanned = 0;

  constructor(entries: ReadonlyArray<{ space: string; id: string }>) {
    this.rows = entries.length;
    this.present = new Uint8Array(entries.length);
    this.contents = new Array<string | undefined>(entries.length);
    this.vectors = sharedFloat32(entries.length * EMBEDDING_DIM);
    entries.forEach(({ space, id }, row) => {
      let ids = this.index.get(space);
      if (!ids) this.index.set(space, (ids = new Map()));
      // The same id sampled under two labels of one space: the later label's node is a DUPLICATE_KEY reject.
      if (!ids.has(id)) ids.set(id, row);
    });
  }

  rowOf(space: string, id: string): number | undefined {
    return this.index.get(space)?.get(id);
  }

  /** Records a memory found for `row`; `vector` may be absent (read by id). */
  found(row: number, content: string, vector?: ArrayLike<number>): void {
    this.contents[row] = content;
    if (vector && vector.length === EMBEDDING_DIM) {
      this.vectors.set(vector, row * EMBEDDING_DIM);
      this.present[row] = PRESENT;
    } else if (this.present[row] !== PRESENT) {
      this.present[row] = PRESENT_NO_VECTOR;
    }
  }
}

/** A near-duplicate the target holds: why a memory may be missing on a deduplicating target. */
export interface NearestMemory {
  id: string;
  cosine: number;
}

/** Reads the sampled memories back from a target (bundle directory or Engram). */
export interface SampleTargetReader {
  readonly kind: 'bundle' | 'engram';
  readonly location: string;
  /** Can edges be read back? (Engram: no edge API.) */
  readonly edges: boolean;
  /** Does the target drop near-duplicate embeddings? */
  readonly dedup: boolean;
  /** Memories per space before the target evicts; null = unbounded. */
  readonly capacityPerSpace: number | null;
  /** Fills `sample` for every sampled row of the given spaces and counts every space. */
  read(sample: TargetSample, spaces: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Memories held per space right now (does not move a windowed reader on). */
  countSpaces(spaces: readonly string[], signal?: AbortSignal): Promise<Map<string, number>>;
  /** The stored memory most similar to `vector` in `space` other than `excludeId`, or null. */
  nearest(space: string, vector: Float32Array, excludeId: string, signal?: AbortSignal): Promise<NearestMemory | null>;
  close(): Promise<void>;
}
