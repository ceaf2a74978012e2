/**
 * The dedup predictor's thread: holds every space's matrix and answers one batch at a time, in the order
 * batches are sent, so a backfill's prediction runs beside its writes instead of blocking the event loop
 * that sends them. Started by {@link DedupThread}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type DedupBatch, DedupPredictor, type PredictedOutcome, type PredictorIndexOptions } from './dedup-predictor.js';

/** One batch to predict, numbered for its reply. */
export interface DedupThreadRequest extends DedupBatch {
  id: number;
  /** Spaces to free before this batch (no later write goes to them). */
  release: readonly string[];
}

export interface DedupThreadReply {
  id: number;
  outcomes?: PredictedOutcome[];
  error?: string;
}

const predictor = new DedupPredictor(workerData as PredictorIndexOptions);
// The thread starts with the backfill's other threads, during the plan: the kernel is ready before the first batch.
predictor.warm();

// Batches are applied one after another, in the order they came: each waits for the one before it.
let queue: Promise<void> = Promise.resolve();

parentPort!.on('message', (request: DedupThreadRequest | 'close') => {
  queue = queue.then(async () => {
    if (request === 'close') {
      await predictor.close();
      return void parentPort!.close();
    }
    try {
      predictor.release(request.release);
      const outcomes = await predictor.writeBatch(request);
      parentPort!.postMessage({ id: request.id, outcomes } satisfies DedupThreadReply);
    } catch (err) {
      parentPort!.postMessage({ id: request.id, error: (err as Error).message } satisfies DedupThreadReply);
    }
  });
});
