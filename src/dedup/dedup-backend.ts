/**
 * Where predictions run: {@link LocalDedupBackend} on the calling thread (tests, small runs), or
 * {@link DedupThread} in a thread of its own, so a backfill's writes go on while the next batch is predicted.
 */
import { Worker } from 'node:worker_threads';
import { MigrateError } from '../errors.js';
import { workerFilename } from '../engine/worker-pool.js';
import { type DedupBatch, DedupPredictor, type PredictedOutcome, type PredictorIndexOptions } from './dedup-predictor.js';
import type { DedupThreadReply, DedupThreadRequest } from './dedup-thread.js';

export type { DedupBatch };

export interface DedupBackend {
  /** Outcomes of the batch's writes, in order; batches are applied in the order they are sent. */
  predict(batch: DedupBatch): Promise<PredictedOutcome[]>;
  /** Frees the matrices of spaces no later batch writes to. */
  release(spaces: Iterable<string>): void;
  close(): Promise<void>;
}

export class LocalDedupBackend implements DedupBackend {
  readonly #predictor: DedupPredictor;

  constructor(options: PredictorIndexOptions = {}) {
    this.#predictor = new DedupPredictor(options);
  }

  predict(b: DedupBatch): Promise<PredictedOutcome[]> {
    return this.#predictor.writeBatch(b);
  }

  release(spaces: Iterable<string>): void {
    this.#predictor.release(spaces);
  }

  async close(): Promise<void> {
    await this.#predictor.close();
  }
}

export class DedupThread implements DedupBackend {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (o: PredictedOutcome[]) => void; reject: (e: unknown) => void }>();
  #release: string[] = [];
  #next = 0;
  #failure: MigrateError | null = null;
  #exited = false;

  constructor(options: PredictorIndexOptions = {}) {
    this.#worker = new Worker(workerFilename('dedup-thread', 'src/dedup'), { workerData: options });
    this.#worker.on('message', (m: DedupThreadReply) => {
      const pending = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error !== undefined) pending?.reject(new MigrateError('INTERNAL', `dedup predictor: ${m.error}`));
      else pending?.resolve(m.outcomes!);
    });
    this.#worker.once('error', (err) => this.#fail(new MigrateError('INTERNAL', `dedup predictor thread failed: ${err.message}`, { cause: err })));
    this.#worker.once('exit', (code) => {
      this.#exited = true;
      this.#fail(new MigrateError('INTERNAL', `dedup predictor thread exited (code ${code})`));
    });
  }

  predict(b: DedupBatch): Promise<PredictedOutcome[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    const request: DedupThreadRequest = { id, ...b, release: this.#release };
    this.#release = [];
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage(request);
    });
  }

  release(spaces: Iterable<string>): void {
    this.#release.push(...spaces);
  }

  /**
   * Lets the thread finish what it was sent, release its ONNX Runtime sessions and exit by itself:
   * `terminate()` while native state is being torn down can abort the whole process (measured with the
   * earlier native index: "terminate called after throwing Napi::Error").
   */
  async close(): Promise<void> {
    if (this.#exited) return;
    this.#failure ??= new MigrateError('INTERNAL', 'dedup predictor closed');
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('close');
    await exited;
  }

  #fail(err: MigrateError): void {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
