import type { ResolvedConfig } from '../config/config-schema.js';
import type { NodeBatchBuffers } from './node-batch.js';
import type { ReaderRequest } from './reader-thread.js';
import { SourceThreads } from './source-threads.js';

export interface ReaderPage extends NodeBatchBuffers {
  lastCovered: number;
}

/** Reader threads, each with its own Neo4j driver; the engine keeps one request at a time per reader. */
export class ReaderPool {
  readonly #threads: SourceThreads<Omit<ReaderRequest, 'id'>, ReaderPage>;

  constructor(size: number, source: ResolvedConfig['source'], mapping: { embeddingProperty: string }) {
    this.#threads = new SourceThreads(size, ['reader-thread', 'src/engine'], { source, mapping });
  }

  get size(): number {
    return this.#threads.size;
  }

  /** Whether reader `reader` has loaded its modules and connected (a page asked of it now starts at once). */
  ready(reader: number): boolean {
    return this.#threads.ready(reader);
  }

  /** One page of a node-id range, read by reader `reader`. */
  page(reader: number, request: Omit<ReaderRequest, 'id'>): Promise<ReaderPage> {
    return this.#threads.request(reader, request);
  }

  close(): Promise<void> {
    return this.#threads.close();
  }
}
