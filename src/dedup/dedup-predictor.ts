/**
 * Predicts which writes the real Engram server drops as near-duplicates (docs/engram-api.md): each write
 * is compared with every memory of its space; the most similar one at cosine >= 0.95 decides. When the
 * write's confidence is not above that memory's, the write is skipped (the client still gets 201); when
 * it is strictly higher, the write replaces that memory (which disappears). No match: the write is stored.
 *
 * Exact, as the server is: each space (or shard) keeps its held memories as unit rows of a matrix, and a
 * batch of writes is scored against every held row at once (one matrix product, similarity-kernel.ts) and
 * against the batch's earlier writes; the outcomes are then settled write by write, in order. The cost is
 * the server's own (a scan of the space per write) done as a matrix product: about 1/50 of the server's
 * CPU at any fill, measured in bench/dedup-index.ts and bench/engram-real.ts. (An HNSW index, used
 * before, cost 1.3-3 ms of CPU per write at 10,000 memories, more than the whole rest of the tool, and
 * could miss a pair.) `write` settles one write with a plain scan, for tests and single writes.
 */
import { EMBEDDING_DIM } from '../mapping/types.js';
import { SimilarityKernel, TOP_K } from './similarity-kernel.js';

/** Cosine at or above which Engram treats two memories as duplicates. */
export const DEDUP_THRESHOLD = 0.95;
/** Re-sending an id whose stored version is this close is a no-op on the server. */
const SAME_ID_NOOP = 0.999;
/** Rows per block of a space's matrix (48 MB of float32): it grows a block at a time, and a batch is scored block by block. */
const BLOCK_ROWS = 16_384;
const D = EMBEDDING_DIM;

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

/** One batch of writes: write i is `ids[i]` into `spaces[i]`, its embedding row `rows[i]` of `embeddings`. */
export interface DedupBatch {
  ids: readonly string[];
  spaces: readonly string[];
  rows: Uint32Array;
  embeddings: Float32Array;
  confidence: number;
}

/** Predictor settings. */
export interface PredictorIndexOptions {
  threshold?: number;
  /** Rows per block of a space's matrix (default 16,384; small in tests, to cross blocks). */
  blockRows?: number;
}

/** A held memory that may decide a write: its row and cosine to the write. */
interface Candidate {
  row: number;
  cosine: number;
}

/** `v` scaled to unit length into `out` (a zero vector stays zero: cosine 0 with everything). */
function normalizeInto(v: Float32Array, out: Float32Array, at: number): void {
  let sq = 0;
  for (let i = 0; i < D; i++) sq += v[i]! * v[i]!;
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  for (let i = 0; i < D; i++) out[at + i] = v[i]! * inv;
}

function dot(a: Float32Array, at: number, b: Float32Array, bt: number): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += a[at + i]! * b[bt + i]!;
  return s;
}

/** One space (or shard) as the server will hold it, write after write. */
export class SpacePredictor {
  readonly space: string;
  readonly #threshold: number;
  readonly #blockRows: number;
  /** Unit rows, #blockRows per block; a free row is all zeros (cosine 0 with everything). */
  readonly #blocks: Float32Array[] = [];
  /** Per row: the id held there (null: free) and its confidence. */
  readonly #idOf: Array<string | null> = [];
  readonly #confidence: number[] = [];
  readonly #rowOf = new Map<string, number>();
  /** Free rows to reuse; rows freed during a batch join only after it (its scores still name them). */
  #free: number[] = [];
  #freedInBatch: number[] | null = null;

  constructor(space: string, options: PredictorIndexOptions = {}) {
    this.space = space;
    this.#threshold = options.threshold ?? DEDUP_THRESHOLD;
    this.#blockRows = options.blockRows ?? BLOCK_ROWS;
  }

  /** Where row `row` lives: its block and the offset of its first float there. */
  #slot(row: number): { block: Float32Array; at: number } {
    return { block: this.#blocks[Math.floor(row / this.#blockRows)]!, at: (row % this.#blockRows) * D };
  }

  /** Memories held. */
  get size(): number {
    return this.#rowOf.size;
  }

  /** Is `id` held? */
  holds(id: string): boolean {
    return this.#rowOf.has(id);
  }

  /** Applies one write as the server would, and says what happened (a plain scan of the space). */
  write(id: string, embedding: Float32Array, confidence: number): PredictedOutcome {
    const q = new Float32Array(D);
    normalizeInto(embedding, q, 0);
    const candidates: Candidate[] = [];
    for (let row = 0; row < this.#idOf.length; row++) {
      if (this.#idOf[row] === null) continue;
      const { block, at } = this.#slot(row);
      const cosine = dot(q, 0, block, at);
      if (cosine >= this.#threshold) candidates.push({ row, cosine });
    }
    return this.#settle(id, q, 0, confidence, candidates).outcome;
  }

  /**
   * Applies a batch of writes in order (write i: `ids[i]`, embedding row i of `embeddings`), scoring them
   * with `kernel` against every held memory and against each other: the same outcomes as `write` one by one.
   */
  async writeBatch(kernel: SimilarityKernel, ids: readonly string[], embeddings: Float32Array, confidence: number): Promise<PredictedOutcome[]> {
    const m = ids.length;
    if (m === 0) return [];
    const queries = new Float32Array(m * D);
    for (let i = 0; i < m; i++) normalizeInto(embeddings.subarray(i * D, (i + 1) * D), queries, i * D);
    const held = await this.#heldCandidates(kernel, queries, m);
    const within = m > 1 ? await kernel.within(queries, m) : null;
    /** The row each earlier write of the batch holds (-1: it holds none). */
    const rowOfWrite = new Int32Array(m).fill(-1);
    const outcomes: PredictedOutcome[] = [];
    this.#freedInBatch = [];
    try {
      for (let i = 0; i < m; i++) {
        // Held rows freed earlier in this batch are skipped by #settle (their id is gone).
        const candidates = held[i]!;
        // Earlier writes of the batch that hold a row still (not dropped, replaced or updated since).
        for (let j = 0; within && j < i; j++) {
          const row = rowOfWrite[j]!;
          if (row >= 0 && this.#idOf[row] === ids[j] && within[i * m + j]! >= this.#threshold) candidates.push({ row, cosine: within[i * m + j]! });
        }
        const { outcome, row } = this.#settle(ids[i]!, queries, i * D, confidence, candidates);
        rowOfWrite[i] = row;
        outcomes.push(outcome);
      }
    } finally {
      this.#free.push(...this.#freedInBatch);
      this.#freedInBatch = null;
    }
    return outcomes;
  }

  /** Per query, the held rows (as the batch starts) at cosine >= threshold. */
  async #heldCandidates(kernel: SimilarityKernel, queries: Float32Array, m: number): Promise<Candidate[][]> {
    const out: Candidate[][] = Array.from({ length: m }, () => []);
    for (let b = 0; b < this.#blocks.length; b++) {
      const base = b * this.#blockRows;
      const n = Math.min(this.#blockRows, this.#idOf.length - base);
      if (n <= 0) break;
      const block = this.#blocks[b]!;
      const { k, values, indices } = await kernel.best(queries, m, block, n);
      for (let i = 0; i < m; i++) {
        if (k === TOP_K && values[i * k + k - 1]! >= this.#threshold) {
          // More matches than the graph returns: score this query against the whole block.
          for (let r = 0; r < n; r++) {
            const cosine = dot(queries, i * D, block, r * D);
            if (cosine >= this.#threshold) out[i]!.push({ row: base + r, cosine });
          }
          continue;
        }
        for (let j = 0; j < k && values[i * k + j]! >= this.#threshold; j++)
          out[i]!.push({ row: base + Number(indices[i * k + j]!), cosine: values[i * k + j]! });
      }
    }
    return out;
  }

  /**
   * The server's rules for one write, given every memory at cosine >= threshold to it (rows freed since
   * they were scored are skipped). `row`: where the write is now held, -1 when it is not (dropped, no-op).
   */
  #settle(id: string, q: Float32Array, at: number, confidence: number, candidates: readonly Candidate[]): { outcome: PredictedOutcome; row: number } {
    let best: Candidate | null = null;
    for (const c of candidates) if (this.#idOf[c.row] !== null && (best === null || c.cosine > best.cosine)) best = c;
    if (best === null) return { outcome: { kind: 'stored' }, row: this.#store(id, q, at, confidence) };
    const matchId = this.#idOf[best.row]!;
    const sameId = matchId === id;
    if (sameId && best.cosine > SAME_ID_NOOP) return { outcome: { kind: 'noop' }, row: -1 };
    if (!(confidence > this.#confidence[best.row]!))
      return { outcome: sameId ? { kind: 'noop' } : { kind: 'dropped', survivor: matchId, cosine: best.cosine }, row: -1 };
    this.#remove(best.row);
    const row = this.#store(id, q, at, confidence);
    return { outcome: sameId ? { kind: 'stored' } : { kind: 'replaces', replaced: matchId, cosine: best.cosine }, row };
  }

  /** Stores `id` (an update that lands replaces the id's previous version) and returns its row. */
  #store(id: string, q: Float32Array, at: number, confidence: number): number {
    const own = this.#rowOf.get(id);
    if (own !== undefined) this.#remove(own);
    let row = this.#free.pop();
    if (row === undefined) {
      row = this.#idOf.length;
      if (row % this.#blockRows === 0) this.#blocks.push(new Float32Array(this.#blockRows * D));
      this.#idOf.push(null);
      this.#confidence.push(0);
    }
    const slot = this.#slot(row);
    slot.block.set(q.subarray(at, at + D), slot.at);
    this.#idOf[row] = id;
    this.#confidence[row] = confidence;
    this.#rowOf.set(id, row);
    return row;
  }

  #remove(row: number): void {
    const id = this.#idOf[row];
    if (id === null || id === undefined) return;
    const { block, at } = this.#slot(row);
    block.fill(0, at, at + D);
    this.#idOf[row] = null;
    this.#rowOf.delete(id);
    (this.#freedInBatch ?? this.#free).push(row);
  }
}

/** Per-space predictors, made on first use. */
export class DedupPredictor {
  readonly #spaces = new Map<string, SpacePredictor>();
  readonly #options: PredictorIndexOptions;
  #kernel: Promise<SimilarityKernel> | null = null;

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

  /** Starts making the similarity kernel (ONNX Runtime sessions) now instead of at the first batch; a failure surfaces there. */
  warm(): void {
    this.#kernel ??= SimilarityKernel.create();
    this.#kernel.catch(() => undefined);
  }

  /** Applies one batch in order, space by space (spaces are independent, so each keeps its own order). */
  async writeBatch(batch: DedupBatch): Promise<PredictedOutcome[]> {
    this.#kernel ??= SimilarityKernel.create();
    const kernel = await this.#kernel;
    const bySpace = new Map<string, number[]>();
    batch.ids.forEach((_, i) => {
      const list = bySpace.get(batch.spaces[i]!);
      if (list) list.push(i);
      else bySpace.set(batch.spaces[i]!, [i]);
    });
    const outcomes: PredictedOutcome[] = new Array(batch.ids.length);
    for (const [space, writes] of bySpace) {
      const embeddings = new Float32Array(writes.length * D);
      writes.forEach((i, j) => embeddings.set(batch.embeddings.subarray(batch.rows[i]! * D, (batch.rows[i]! + 1) * D), j * D));
      const found = await this.space(space).writeBatch(
        kernel,
        writes.map((i) => batch.ids[i]!),
        embeddings,
        batch.confidence,
      );
      writes.forEach((i, j) => (outcomes[i] = found[j]!));
    }
    return outcomes;
  }

  async close(): Promise<void> {
    const kernel = this.#kernel;
    this.#kernel = null;
    if (kernel) await (await kernel).release();
  }

  /** Frees the matrices of spaces no later write goes to. */
  release(spaces: Iterable<string>): void {
    for (const s of spaces) this.#spaces.delete(s);
  }

  get spaces(): string[] {
    return [...this.#spaces.keys()];
  }
}
