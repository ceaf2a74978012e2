import type { ResolvedConfig } from '../config/config-schema.js';
import type { NodeBatchBuffers } from './node-batch.js';
import type { ReaderRequest } from './reader-thread.js';
import { SourceThreads } from './source-threads.js';

export interface ReaderPage extends NodeBatchBuffers {
  lastKey: string;
}

/** Reader threads, each with its own Neo4j driver; the engine keeps one request at a time per reader. */
export class ReaderPool {
  readonly #threads: SourceThreads<Omit<ReaderRequest, 'id'>, ReaderPage | null>;

  constructor(size: number, source: ResolvedConfig['source'], mapping: { key: string; embeddingProperty: string }) {
    this.#threads = new SourceThreads(size, ['reader-thread', 'src/engine'], { source, mapping });
  }

  get size(): number {
    return this.#threads.size;
  }

  /** The next page of a key range, read by reader `reader`; null when the range is exhausted. */
  page(reader: number, request: Omit<ReaderRequest, 'id'>): Promise<ReaderPage | null> {
    return this.#threads.request(reader, request);
  }

  close(): Promise<void> {
    return this.#threads.close();
  }
}
