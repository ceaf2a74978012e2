/**
 * A sample-fetch thread: its own Neo4j driver fetches chunks of sampled nodes by key and lays them out
 * (embeddings copied once into shared memory), so the decoding that dominates a large sweep runs on
 * several cores instead of the main thread alone. Started by {@link ThreadSampleFetcher}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/config-schema.js';
import type { MigrateError } from '../errors.js';
import { Neo4jSource } from '../source/neo4j-source.js';
import { fetchSampleChunk, prepareChunk } from './source-sample-reader.js';
import type { ValidationLabel, ValidationPlan } from './validation-plan.js';

/** One request: fetch `keys` of `label`. */
export interface FetchRequest {
  id: number;
  label: { label: string; earlier: string[]; space: string };
  keys: string[];
  withEdges: boolean;
}

/** What the thread is started with: the connection, the mapping and the run's labels in order. */
export interface FetchThreadData {
  source: ResolvedConfig['source'];
  mapping: ResolvedConfig['mapping'];
  labels: Array<{ label: string; space: string }>;
}

const data = workerData as FetchThreadData;
const source = new Neo4jSource(data.source, data.mapping);
// fetchSampleChunk needs only the label order and spaces of the plan.
const asLabel = (l: { label: string; earlier?: string[]; space: string }): ValidationLabel => ({ label: l.label, earlier: l.earlier ?? [], space: l.space, nodes: 0, takenKeys: new Set() });
const plan: ValidationPlan = { labels: data.labels.map(asLabel), spaces: new Map() };

parentPort!.on('message', (request: FetchRequest | 'close') => {
  if (request === 'close') {
    void source.close().then(() => parentPort!.close());
    return;
  }
  fetchSampleChunk(source, plan, asLabel(request.label), request.keys, { mapping: data.mapping, withEdges: request.withEdges }).then(
    (chunk) => parentPort!.postMessage({ id: request.id, value: prepareChunk(request.keys, chunk) }),
    (err: unknown) => {
      const e = err as MigrateError;
      parentPort!.postMessage({ id: request.id, error: { code: e.code ?? 'SOURCE_QUERY_FAILED', message: e.message, retriable: e.retriable ?? false } });
    },
  );
});
