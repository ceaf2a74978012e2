import { Worker } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/config-schema.js';
import { workerFilename } from '../engine/worker-pool.js';
import { SourceError } from '../errors.js';
import type { Neo4jSource } from '../source/neo4j-source.js';
import type { FetchRequest, FetchThreadData } from './sample-fetch-thread.js';
import { fetchSampleChunk, prepareChunk, type PreparedChunk } from './source-sample-reader.js';
import type { ValidationLabel, ValidationPlan } from './validation-plan.js';

/** Fetches chunks of sampled nodes from Neo4j, ready for the checks. */
export interface SampleFetcher {
  /** Chunks worth having in flight at once. */
  readonly parallelism: number;
  fetch(label: ValidationLabel, keys: string[], withEdges: boolean): Promise<PreparedChunk>;
  close(): Promise<void>;
}

/** Fetches on the main thread with the sweep's own source. */
export class InlineSampleFetcher implements SampleFetcher {
  readonly parallelism = 1;
  constructor(
    readonly source: Neo4jSource,
    readonly plan: ValidationPlan,
    readonly mapping: ResolvedConfig['mapping'],
  ) {}

  async fetch(label: ValidationLabel, keys: string[], withEdges: boolean): Promise<PreparedChunk> {
    return prepareChunk(keys, await fetchSampleChunk(this.source, this.plan, label, keys, { mapping: this.mapping, withEdges }));
  }

  async close(): Promise<void> {}
}

type Pending = { resolve: (chunk: PreparedChunk) => void; reject: (err: unknown) => void };

/** Fetch threads, each with its own Neo4j driver (decoding is per connection, on the thread that owns it). */
export class ThreadSampleFetcher implements SampleFetcher {
  readonly parallelism: number;
  readonly #workers: Worker[];
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  constructor(threads: number, config: ResolvedConfig, plan: ValidationPlan) {
    this.parallelism = threads;
    const workerData: FetchThreadData = { source: config.source, mapping: config.mapping, labels: plan.labels.map((l) => ({ label: l.label, space: l.space })) };
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(workerFilename('sample-fetch-thread', 'src/validate'), { workerData });
      worker.on('message', (m: { id: number; chunk?: PreparedChunk; error?: { message: string; retriable: boolean } }) => {
        const pending = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.error) pending?.reject(new SourceError(m.error.retriable ? 'SOURCE_UNAVAILABLE' : 'SOURCE_QUERY_FAILED', m.error.message));
        else pending?.resolve(m.chunk!);
      });
      worker.on('error', (err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
      return worker;
    });
  }

  fetch(label: ValidationLabel, keys: string[], withEdges: boolean): Promise<PreparedChunk> {
    const id = this.#next++;
    const request: FetchRequest = { id, label: { label: label.label, earlier: [...label.earlier], space: label.space }, keys, withEdges };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#workers[id % this.#workers.length]!.postMessage(request);
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
