/**
 * A reader thread: its own Neo4j driver streams one node-id range of a label page by page and lays each page
 * out for the pool (embeddings copied once into shared memory), so decoding — the dominant cost of a
 * backfill — runs on several cores instead of the main thread alone. Started by {@link ReaderPool}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/config-schema.js';
import type { MigrateError } from '../errors.js';
import { installBoltFloatLists } from '../source/bolt-float-lists.js';
import { Neo4jSource, type LabelScope } from '../source/neo4j-source.js';
import { buildNodeBatch } from './node-batch.js';
import type { SourceThreadReady } from './source-threads.js';

export interface ReaderRequest {
  id: number;
  scope: LabelScope;
  /** The label's key properties (their values travel with each node). */
  key: string[];
  lo: number;
  hi: number;
  limit: number;
}

// This thread's own copy of the driver: the float-list fast path changes nothing outside it.
installBoltFloatLists();
const data = workerData as { source: ResolvedConfig['source']; mapping: { embeddingProperty: string } };
const source = new Neo4jSource(data.source, data.mapping);
// Connect while the main thread plans; a failure here is reported by the first page's request. Until this
// thread says it is ready, the main thread reads its range (see readRange in node-phase.ts).
const ready: SourceThreadReady = 'ready';
source.connect().then(
  () => parentPort!.postMessage(ready),
  () => parentPort!.postMessage(ready),
);

parentPort!.on('message', (request: ReaderRequest | 'close') => {
  if (request === 'close') {
    void source.close().then(() => parentPort!.close());
    return;
  }
  source.nodePage(request.scope, request.key, request.lo, request.hi, request.limit).then(
    (page) => {
      const batch = buildNodeBatch(page.nodes);
      parentPort!.postMessage({ id: request.id, value: { ...batch, lastCovered: page.lastCovered } });
    },
    (err: unknown) => {
      const e = err as MigrateError;
      parentPort!.postMessage({ id: request.id, error: { message: e.message, retriable: e.retriable ?? false } });
    },
  );
});
