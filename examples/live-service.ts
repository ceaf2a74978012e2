/**
 * A small service using the live-migration library (listens on 127.0.0.1, request bodies capped at 256 KiB): writes go to Neo4j (awaited) and Engram (in the
 * background, through the durable dead-letter queue), reads go through the gradual cutover router, with
 * shadow comparisons on reads served by Neo4j, and Prometheus metrics on /metrics.
 *
 *   NEO4J_URI=bolt://127.0.0.1:7687 ENGRAM_URL=http://127.0.0.1:7432 PORT=8080 npx tsx examples/live-service.ts
 *
 *   curl -XPOST localhost:8080/memories -d '{"id":"m1","space":"notes","content":"hello","embedding":[...768 numbers]}'
 *   curl -XPOST localhost:8080/activate -d '{"space":"notes","embedding":[...],"k":10,"user":"u42"}'
 *   curl localhost:8080/status ; curl localhost:8080/metrics
 *   npx engram-migrate cutover start --neo4j-uri bolt://127.0.0.1:7687   # 1% → 10% → 50% → 100%, every instance
 *   npx engram-migrate cutover set 0 --neo4j-uri bolt://127.0.0.1:7687   # instant rollback of every instance
 *   npx engram-migrate dlq status --dlq-dir .runs/live/dlq
 *   npx engram-migrate cutover promote --neo4j-uri ...   # phase 5: Engram primary, Neo4j kept current (reverse dual write)
 *   npx engram-migrate cutover demote --neo4j-uri ...    # the lever after the cutover: Neo4j primary again
 *   npx engram-migrate status --neo4j-uri ...            # where the migration stands, what the next gate needs
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  createLiveNeo4jDriver,
  CutoverRouter,
  CutoverScheduleRunner,
  DeadLetterQueue,
  DlqReplayer,
  DualWriteCoordinator,
  EngramGraphDatabase,
  FileCutoverStore,
  LiveMetrics,
  Neo4jCutoverStore,
  Neo4jGraphDatabase,
  ShadowReadCoordinator,
} from '../src/live/index.js';

const dir = process.env.LIVE_DIR ?? '.runs/live';
const metrics = new LiveMetrics({ defaultLabels: { service: 'example' } });

// The two stores. Engram gets few retries and a short timeout: the dead-letter queue retries patiently.
const driver = createLiveNeo4jDriver(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687');
const neo4j = new Neo4jGraphDatabase({ driver, label: 'Memory' });
await neo4j.ensureSchema(); // uniqueness on id, 768-d cosine vector index
const engram = new EngramGraphDatabase({ client: { url: process.env.ENGRAM_URL ?? 'http://127.0.0.1:7432', maxRetries: 1, timeoutMs: 2_000 } });

// Phase 1: dual write. Neo4j decides success; Engram's copy goes through the durable queue.
const dlq = await DeadLetterQueue.open(join(dir, 'dlq'));
metrics.watchDlq(() => dlq.stats());
const writes = new DualWriteCoordinator({ primary: neo4j, secondary: engram, dlq, metrics });
const replayer = new DlqReplayer({ dlq, secondary: engram, primary: neo4j, metrics }); // every 10 s
replayer.start();

// Phase 5: once `engram-migrate cutover promote` ran, writes go to Engram first and reach Neo4j through a
// queue of their own (the reverse dual write), so `cutover demote` (or `cutover set 0`) still rolls back
// without loss; after `decommission archive` (state `retired`) the router writes to Engram only.
const reverseDlq = await DeadLetterQueue.open(join(dir, 'dlq-reverse'));
const reverseWrites = new DualWriteCoordinator({ primary: engram, secondary: neo4j, dlq: reverseDlq, metrics });
const reverseReplayer = new DlqReplayer({ dlq: reverseDlq, secondary: neo4j, primary: engram, metrics });
reverseReplayer.start();

// Phase 3: shadow reads on 10% of the reads Neo4j serves.
const shadow = new ShadowReadCoordinator({ primary: writes, secondary: engram, sampleRate: 0.1, discrepancyLog: join(dir, 'discrepancies.ndjson'), metrics });

// Phase 4: gradual cutover; the share lives in a node of the primary Neo4j that every instance watches and
// `engram-migrate cutover` changes (CUTOVER_FILE=path keeps it in a local file instead, for one instance).
const cutoverState = process.env.CUTOVER_FILE ? new FileCutoverStore(process.env.CUTOVER_FILE) : new Neo4jCutoverStore({ driver });
const router = new CutoverRouter({ oldStore: shadow, newStore: engram, writes, reverseWrites, store: cutoverState, sticky: true, metrics });
await router.start();
const schedule = new CutoverScheduleRunner({ router, stateFile: cutoverState, metrics });
schedule.start();

/** A request the service refuses, with its HTTP status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// A 768-d embedding as JSON is about 15 KB; anything far larger is a mistake or an attack on the heap.
const MAX_BODY_BYTES = Number(process.env.MAX_BODY_BYTES ?? 256 * 1024);

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY_BYTES) {
      req.destroy();
      throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const serveMetrics = metrics.handler();
const server = createServer((req, res) => {
  const route = `${req.method} ${req.url}`;
  const handle = async (): Promise<void> => {
    if (route === 'GET /metrics') return serveMetrics(req, res);
    if (route === 'GET /status')
      return send(res, 200, {
        percent: router.percent,
        phase: router.phase,
        dlq: dlq.stats(),
        reverseDlq: reverseDlq.stats(),
        writes: writes.stats,
        reverseWrites: reverseWrites.stats,
        shadow: shadow.report(),
      });
    if (route === 'POST /memories') {
      const m = await body(req);
      await router.createMemory({ id: String(m.id), space: String(m.space), content: String(m.content), embedding: m.embedding as number[] });
      return send(res, 201, { id: m.id });
    }
    if (route === 'POST /activate') {
      const q = await body(req);
      const result = await router.activate({
        space: String(q.space),
        embedding: q.embedding as number[],
        k: Number(q.k ?? 10),
        routingKey: String(q.user ?? ''),
      });
      return send(res, 200, result);
    }
    send(res, 404, { error: `no route ${route}` });
  };
  handle().catch((err: unknown) => {
    if (res.headersSent || res.destroyed) return;
    send(res, err instanceof HttpError ? err.status : 500, { error: err instanceof Error ? err.message : String(err) });
  });
});
// Loopback only by default: /metrics and /status are not for the world; HOST=0.0.0.0 behind a proxy.
const host = process.env.HOST ?? '127.0.0.1';
server.listen(Number(process.env.PORT ?? 8080), host, () => console.log(`live service on http://${host}:${Number(process.env.PORT ?? 8080)}`));

async function shutdown(): Promise<void> {
  server.close();
  await schedule.stop();
  await router.close();
  await shadow.close();
  await writes.close(); // secondary writes in flight end in Engram or in the queue
  await reverseWrites.close();
  await replayer.stop();
  await reverseReplayer.stop();
  await dlq.close();
  await reverseDlq.close();
  await engram.close();
  await driver.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
