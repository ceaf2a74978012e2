import { Worker } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/config-schema.js';
import { SourceError } from '../errors.js';
import type { NodeBatchBuffers } from './node-batch.js';
import type { ReaderRequest } from './reader-thread.js';
import { workerFilename } from './worker-pool.js';

export interface ReaderPage extends NodeBatchBuffers {
  lastKey: string;
}

type Pending = { resolve: (page: ReaderPage | null) => void; reject: (err: unknown) => void };

/** Reader threads, each with its own Neo4j driver; one request at a time per reader. */
export class ReaderPool {
  readonly size: number;
  readonly #workers: Worker[];
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  constructor(size: number, source: ResolvedConfig['source'], mapping: { key: string; embeddingProperty: string }) {
    this.size = size;
    this.#workers = Array.from({ length: size }, () => {
      const worker = new Worker(workerFilename('reader-thread', 'src/engine'), { workerData: { source, mapping } });
      worker.on('message', (m: { id: number; page?: ReaderPage | null; error?: { code: string; message: string; retriable: boolean } }) => {
        const pending = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (!pending) return;
        if (m.error) pending.reject(new SourceError(m.error.retriable ? 'SOURCE_UNAVAILABLE' : 'SOURCE_QUERY_FAILED', m.error.message));
        else pending.resolve(m.page ?? null);
      });
      worker.on('error', (err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
      return worker;
    });
  }

  /** The next page of a key range, read by reader `reader`; null when the range is exhausted. */
  page(reader: number, request: Omit<ReaderRequest, 'id'>): Promise<ReaderPage | null> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#workers[reader % this.size]!.postMessage({ ...request, id });
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
