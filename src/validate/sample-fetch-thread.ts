/**
 * A sample-fetch thread: its own Neo4j driver fetches chunks of sampled nodes by node id and lays them out
 * (embeddings copied once into shared memory), so the decoding that dominates a large sweep runs on
 * several cores instead of the main thread alone. Started by {@link ThreadSampleFetcher}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/config-schema.js';
import type { MigrateError } from '../errors.js';
import { installBoltFloatLists } from '../source/bolt-float-lists.js';
import { Neo4jSource } from '../source/neo4j-source.js';
import { fetchSampleChunk, prepareChunk } from './source-sample-reader.js';
import type { ValidationLabel } from './validation-plan.js';
import type { LabelKey } from '../mapping/types.js';

/** One request: fetch sampled nodes `nodeIds` (memory ids `keys`) of `label`. */
export interface FetchRequest {
  id: number;
  label: { label: string; earlier: string[]; space: string; key: LabelKey };
  keys: string[];
  nodeIds: number[];
  withEdges: boolean;
}

/** What the thread is started with: the connection, the mapping, the run's labels in order and its key properties. */
export interface FetchThreadData {
  source: ResolvedConfig['source'];
  mapping: ResolvedConfig['mapping'];
  labelOrder: string[];
  keyProperties: string[];
}

// This thread's own copy of the driver: the float-list fast path changes nothing outside it.
installBoltFloatLists();
const data = workerData as FetchThreadData;
const source = new Neo4jSource(data.source, data.mapping);

parentPort!.on('message', (request: FetchRequest | 'close') => {
  if (request === 'close') {
    void source.close().then(() => parentPort!.close());
    return;
  }
  // Fetching reads Neo4j only: the shard layout does not matter here.
  const label: ValidationLabel = { ...request.label, shards: 1, nodes: 0, relationships: 0, duplicates: new Map() };
  const ctx = { mapping: data.mapping, labelOrder: data.labelOrder, keyProperties: data.keyProperties, withEdges: request.withEdges };
  fetchSampleChunk(source, label, request.keys, request.nodeIds, ctx).then(
    (chunk) => parentPort!.postMessage({ id: request.id, value: prepareChunk(request.keys, chunk) }),
    (err: unknown) => {
      const e = err as MigrateError;
      parentPort!.postMessage({ id: request.id, error: { code: e.code ?? 'SOURCE_QUERY_FAILED', message: e.message, retriable: e.retriable ?? false } });
    },
  );
});
