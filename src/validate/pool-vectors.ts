import type { WorkerPool } from '../engine/worker-pool.js';
import { sharedFloat32 } from '../shared/shared-memory.js';
import { EMBEDDING_DIM } from '../mapping/types.js';
import type { CosineTask, EmbedTask } from '../../workers/task-types.js';
import { mapLimit } from '../shared/map-limit.js';

/** Rows below which splitting a comparison across workers costs more than it saves. */
const MIN_ROWS_PER_TASK = 2048;
/** Tasks per worker: a worker slowed down by other load leaves its later ranges to the others. */
const TASKS_PER_WORKER = 4;

/**
 * Cosine similarity of rows [0, rows) of `a` and `b` (both shared, row-major, 768 wide) into `out`
 * (shared), computed in the pool: the rows are split into a few contiguous ranges per worker (queued, so
 * a worker that other load slows down takes fewer), and each worker reads the buffers in place
 * (SharedArrayBuffer: nothing is copied or transferred).
 */
export async function poolCosine(pool: WorkerPool, a: Float32Array, b: Float32Array, rows: number, out: Float32Array, signal?: AbortSignal): Promise<void> {
  if (rows === 0) return;
  const parts = Math.max(1, Math.min(pool.sizing.workers * TASKS_PER_WORKER, Math.floor(rows / MIN_ROWS_PER_TASK)));
  const per = Math.ceil(rows / parts);
  const starts = Array.from({ length: Math.ceil(rows / per) }, (_, i) => i * per);
  // piscina's queue is bounded ('auto': workers²): two tasks per worker in flight at most.
  await mapLimit(starts, pool.sizing.workers * 2, async (start) => {
    const task: CosineTask = { kind: 'cosine', a, b, dim: EMBEDDING_DIM, start, end: Math.min(rows, start + per), out };
    await pool.run<number>(task, signal);
  });
}

/**
 * Embeds `texts` in the pool with the run's model (the same `embed` task the backfill's generation
 * uses), `batchSize` texts per task, and hands vector i to `place(i, vector)`.
 */
export async function poolEmbed(
  pool: WorkerPool,
  texts: readonly string[],
  batchSize: number,
  place: (i: number, vector: Float32Array) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (texts.length === 0) return;
  const out = sharedFloat32(texts.length * EMBEDDING_DIM);
  const offsets = Array.from({ length: Math.ceil(texts.length / batchSize) }, (_, i) => i * batchSize);
  // piscina's queue is bounded ('auto': workers²): keep a couple of tasks per worker in flight, no more.
  await mapLimit(offsets, pool.sizing.workers * 2, async (offset) => {
    const task: EmbedTask = { kind: 'embed', texts: texts.slice(offset, offset + batchSize), out, offset };
    await pool.run<number>(task, signal);
  });
  for (let i = 0; i < texts.length; i++) place(i, out.subarray(i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM));
}
