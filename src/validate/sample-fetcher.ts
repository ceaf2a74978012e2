import type { ResolvedConfig } from '../config/config-schema.js';
import { SourceThreads } from '../engine/source-threads.js';
import type { Neo4jSource } from '../source/neo4j-source.js';
import type { FetchRequest, FetchThreadData } from './sample-fetch-thread.js';
import { fetchSampleChunk, prepareChunk, type FetchContext, type PreparedChunk } from './source-sample-reader.js';
import type { ValidationLabel, ValidationPlan } from './validation-plan.js';

/** Fetches chunks of sampled nodes from Neo4j, ready for the checks. */
export interface SampleFetcher {
  /** Chunks worth having in flight at once. */
  readonly parallelism: number;
  /** Fetches sampled nodes `nodeIds` (memory ids `keys`) of `label`. */
  fetch(label: ValidationLabel, keys: string[], nodeIds: number[], withEdges: boolean): Promise<PreparedChunk>;
  close(): Promise<void>;
}

/** The plan as a fetch needs it. */
export function fetchContext(plan: ValidationPlan, mapping: ResolvedConfig['mapping'], withEdges: boolean): FetchContext {
  return { mapping, labelOrder: plan.labels.map((l) => l.label), keyProperties: plan.keyProperties, withEdges };
}

/** Fetches on the main thread with the sweep's own source. */
export class InlineSampleFetcher implements SampleFetcher {
  readonly parallelism = 1;
  constructor(
    readonly source: Neo4jSource,
    readonly plan: ValidationPlan,
    readonly mapping: ResolvedConfig['mapping'],
  ) {}

  async fetch(label: ValidationLabel, keys: string[], nodeIds: number[], withEdges: boolean): Promise<PreparedChunk> {
    return prepareChunk(keys, await fetchSampleChunk(this.source, label, keys, nodeIds, fetchContext(this.plan, this.mapping, withEdges)));
  }

  async close(): Promise<void> {}
}

/** Fetch threads, each with its own Neo4j driver (decoding is per connection, on the thread that owns it). */
export class ThreadSampleFetcher implements SampleFetcher {
  readonly parallelism: number;
  readonly #threads: SourceThreads<Omit<FetchRequest, 'id'>, PreparedChunk>;
  #next = 0;

  constructor(threads: number, config: ResolvedConfig, plan: ValidationPlan) {
    this.parallelism = threads;
    const workerData: FetchThreadData = {
      source: config.source,
      mapping: config.mapping,
      labelOrder: plan.labels.map((l) => l.label),
      keyProperties: plan.keyProperties,
    };
    this.#threads = new SourceThreads(threads, ['sample-fetch-thread', 'src/validate'], workerData);
  }

  fetch(label: ValidationLabel, keys: string[], nodeIds: number[], withEdges: boolean): Promise<PreparedChunk> {
    return this.#threads.request(this.#next++, {
      label: { label: label.label, earlier: [...label.earlier], space: label.space, key: label.key },
      keys,
      nodeIds,
      withEdges,
    });
  }

  close(): Promise<void> {
    return this.#threads.close();
  }
}
