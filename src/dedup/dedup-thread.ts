/**
 * The dedup predictor's thread: holds every space's index and answers one batch at a time, in the order
 * batches are sent, so a backfill's prediction runs beside its writes instead of blocking the event loop
 * that sends them. Started by {@link DedupThread}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DedupPredictor, type PredictedOutcome, type PredictorIndexOptions } from './dedup-predictor.js';
import { EMBEDDING_DIM } from '../mapping/types.js';

/** One batch to predict: memory i is `ids[i]` into `spaces[i]`, its embedding row `rows[i]` of `embeddings`. */
export interface DedupThreadRequest {
  id: number;
  ids: readonly string[];
  spaces: readonly string[];
  rows: Uint32Array;
  embeddings: Float32Array;
  confidence: number;
  /** Spaces to free before this batch (no later write goes to them). */
  release: readonly string[];
}

export interface DedupThreadReply {
  id: number;
  outcomes?: PredictedOutcome[];
  error?: string;
}

const predictor = new DedupPredictor(workerData as PredictorIndexOptions);

parentPort!.on('message', (request: DedupThreadRequest | 'close') => {
  if (request === 'close') return void parentPort!.close();
  try {
    predictor.release(request.release);
    const vector = new Float32Array(EMBEDDING_DIM);
    const outcomes = request.ids.map((id, i) => {
      const row = request.rows[i]!;
      vector.set(request.embeddings.subarray(row * EMBEDDING_DIM, (row + 1) * EMBEDDING_DIM));
      return predictor.write(request.spaces[i]!, id, vector, request.confidence);
    });
    parentPort!.postMessage({ id: request.id, outcomes } satisfies DedupThreadReply);
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: (err as Error).message } satisfies DedupThreadReply);
  }
});
