import { Worker } from 'node:worker_threads';
import { SourceError } from '../errors.js';
import { workerFilename } from './worker-pool.js';

type Pending<R> = { resolve: (value: R) => void; reject: (err: unknown) => void };

/** What a source thread answers: `{ id, value }` or `{ id, error }`. */
export interface SourceThreadReply<R> {
  id: number;
  value?: R;
  error?: { message: string; retriable: boolean };
}

/**
 * Threads that each own a Neo4j connection (decoding happens on the thread that owns the socket), with
 * request/response by id. Used by the backfill's readers and validation's sample fetchers; their entries
 * answer every `{ id, ...request }` with a {@link SourceThreadReply} and close on `'close'`.
 */
export class SourceThreads<Q extends object, R> {
  readonly size: number;
  readonly #workers: Worker[];
  readonly #pending = new Map<number, Pending<R>>();
  #next = 0;

  /** `entry`: the thread's compiled file (name, folder) as {@link workerFilename} takes them. */
  constructor(size: number, entry: [name: string, dir: string], workerData: unknown) {
    this.size = size;
    this.#workers = Array.from({ length: size }, () => {
      const worker = new Worker(workerFilename(...entry), { workerData });
      worker.on('message', (m: SourceThreadReply<R>) => {
        const pending = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.error) pending?.reject(new SourceError(m.error.retriable ? 'SOURCE_UNAVAILABLE' : 'SOURCE_QUERY_FAILED', m.error.message));
        else pending?.resolve(m.value as R);
      });
      worker.on('error', (err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
      return worker;
    });
  }

  /** Sends `request` to thread `thread` (modulo the size) and resolves with its reply. */
  request(thread: number, request: Q): Promise<R> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#workers[thread % this.size]!.postMessage({ ...request, id });
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.postMessage('close');
            setTimeout(() => void w.terminate(), 5_000).unref();
          }),
      ),
    );
  }
}
