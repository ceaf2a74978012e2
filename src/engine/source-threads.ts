import { Worker } from 'node:worker_threads';
import { SourceError } from '../errors.js';
import { workerFilename } from './worker-pool.js';

type Pending<R> = { thread: number; resolve: (value: R) => void; reject: (err: unknown) => void };

/** What a source thread answers: `{ id, value }` or `{ id, error }`. */
export interface SourceThreadReply<R> {
  id: number;
  value?: R;
  error?: { message: string; retriable: boolean };
}

/** What a source thread may post once, before any reply: it has loaded its modules and connected (or failed to). */
export type SourceThreadReady = 'ready';

/**
 * Threads that each own a Neo4j connection (decoding happens on the thread that owns the socket), with
 * request/response by id. Used by the backfill's readers and validation's sample fetchers; their entries
 * answer every `{ id, ...request }` with a {@link SourceThreadReply} and close on `'close'`.
 */
export class SourceThreads<Q extends object, R> {
  readonly size: number;
  readonly #workers: Worker[];
  /** Resolve when thread i has exited, whenever that was (before close() or during it). */
  readonly #exited: Array<Promise<void>>;
  readonly #dead = new Map<number, Error>();
  readonly #pending = new Map<number, Pending<R>>();
  readonly #ready: boolean[];
  #next = 0;

  /** `entry`: the thread's compiled file (name, folder) as {@link workerFilename} takes them, or a path. */
  constructor(size: number, entry: [name: string, dir: string] | string, workerData: unknown) {
    this.size = size;
    const filename = typeof entry === 'string' ? entry : workerFilename(...entry);
    this.#exited = [];
    this.#ready = Array.from({ length: size }, () => false);
    this.#workers = Array.from({ length: size }, (_, thread) => {
      const worker = new Worker(filename, { workerData });
      this.#exited.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
      worker.once('exit', (code) =>
        this.#fail(thread, this.#dead.get(thread) ?? new SourceError('SOURCE_QUERY_FAILED', `source thread ${thread} exited (code ${code})`)),
      );
      worker.on('message', (m: SourceThreadReply<R> | SourceThreadReady) => {
        if (m === 'ready') {
          this.#ready[thread] = true;
          return;
        }
        const pending = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.error) pending?.reject(new SourceError(m.error.retriable ? 'SOURCE_UNAVAILABLE' : 'SOURCE_QUERY_FAILED', m.error.message));
        else pending?.resolve(m.value as R);
      });
      worker.on('error', (err) => {
        this.#dead.set(thread, err);
        this.#fail(thread, err);
      });
      return worker;
    });
  }

  /** Rejects the requests waiting on `thread`; later ones fail at once. */
  #fail(thread: number, err: Error): void {
    if (!this.#dead.has(thread)) this.#dead.set(thread, err);
    for (const [id, p] of this.#pending) {
      if (p.thread !== thread) continue;
      this.#pending.delete(id);
      p.reject(err);
    }
  }

  /**
   * Whether a request to thread `thread` (modulo the size) is answered without waiting for the thread to
   * start: it has said it is ready (modules loaded, connected), or it has died (the request fails at once
   * with its error). A thread that never says so is never ready.
   */
  ready(thread: number): boolean {
    const index = thread % this.size;
    return this.#ready[index]! || this.#dead.has(index);
  }

  /** Sends `request` to thread `thread` (modulo the size) and resolves with its reply. */
  request(thread: number, request: Q): Promise<R> {
    const id = this.#next++;
    const index = thread % this.size;
    const dead = this.#dead.get(index);
    if (dead) return Promise.reject(dead);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { thread: index, resolve, reject });
      this.#workers[index]!.postMessage({ ...request, id });
    });
  }

  /** Asks every thread to close (terminating one that has not within 5 s); threads already dead count as closed. */
  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map((w, i) => {
        if (!this.#dead.has(i)) {
          w.postMessage('close');
          setTimeout(() => void w.terminate(), 5_000).unref();
        }
        return this.#exited[i]!;
      }),
    );
  }
}
