/**
 * TEST DOUBLE of the Engram HTTP server (not Engram). An in-process `node:http` server (keep-alive
 * on) that mirrors `/work/shared/docs/engram-api.md` route by route, with fault injection and a
 * store inspection API. Product code must never import it; tests and benchmarks only.
 * test/integration/engram-contract.test.ts runs the same scenarios against it and the real server.
 *
 * Measured on the real server (orchard9/engram 5d54816) and mirrored here, where the doc says less
 * or otherwise:
 * - Dedup: a write (an update of an id included) is compared with every memory, its own previous
 *   version too, through a similarity cache of the first 1,000 (new id, existing id) pairs per space,
 *   never cleared (see similarity-cache.ts). The double mirrors the cache: it decides the update
 *   scenarios (after a small edit, a large edit of that id at the same confidence is dropped).
 * - A near-duplicate of strictly higher confidence replaces the other memory: GET answers 404 for it,
 *   yet it stays in the listing (a "ghost": the server drops it from its hot map, not from the buffer
 *   it lists) and in recall. `tier_counts.hot` (the server's memory_count) is +1 per write stored as
 *   new (an update that lands as new too), unchanged by a replacement, -1 per eviction.
 * - Listing without `tier` (= `hot`) gives each id once, ghosts included; `warm` holds memories whose
 *   activation at write (confidence x (1 - 0.5 x count/100,000)) is below 0.7; `tier=all` is hot then
 *   warm, so those ids repeat. `/api/v1/system/health` reports memory_count as `memories`.
 * - Recall by embedding ranks by cosine only in the hot tier (activation >= 0.7, e.g. confidence 1);
 *   when that gives fewer than 100 hits (the cue's own limit, not `max_results`), warm memories are
 *   added scored 0.95 x confidence, whatever their embedding (a cue equal to a confidence-0.5 memory's
 *   embedding returns it at 0.475, and it outranks hot memories below that cosine).
 *
 * Deviations from Engram, on purpose: near-duplicate search uses LSH above `exactScanBelow`
 * memories per space (see dedup-index.ts: a true >= 0.95 pair is missed with p < 1e-4; there only
 * cached pairs among the LSH candidates and the own id are consulted); recall is an exact scan
 * (Engram uses HNSW); the warm tier is immediate (the server persists in the background, within
 * milliseconds as measured) and its count is the warm view, not every persisted version;
 * `GET /health` skips auth; extra `/__double/*` control routes exist; fault injection; it answers
 * at once (the server: ~250 writes/s, ~4-15 s for a space's first write); `capacity` can be set
 * (the server's 100,000 is fixed in its code, so eviction is exercised on the double only), but the
 * activation pressure stays relative to 100,000, so a small capacity moves eviction only. (On the
 * real server, read in its code, not measured: past 60,000 memories in a space a confidence-1 write's
 * activation falls below 0.7, so it lands in the warm tier and recall scores it 0.95, not by cosine.)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkAuth, isWellFormedKey } from './auth-check.js';
import { CONTROL_PREFIX, handleControl } from './control-routes.js';
import { EngramDoubleStore } from './engram-double-store.js';
import { engramError, injectedError, type DoubleResponse } from './engram-errors.js';
import { matchRoute, type RouteMatch } from './engram-routes.js';
import { FaultInjector, validateFaults, type FaultDecision } from './fault-injector.js';
import { ListenerControl } from './listener-control.js';
import type { RememberResult } from './memory-space.js';
import { extractJsonObject, readBody, send } from './request-io.js';
import { DoubleStats } from './double-stats.js';
import { DEFAULT_CAPACITY, DEFAULT_DEDUP_THRESHOLD, type EngramDoubleOptions, type EngramDoubleStats, type EngramFaults } from './types.js';

/** A running double. */
export interface EngramDouble {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Inspection API: spaces, counts, stored memories with embeddings, seeding, clearing. */
  readonly store: EngramDoubleStore;
  /** A snapshot of the counters. */
  readonly stats: EngramDoubleStats;
  resetStats(): void;
  /** Replace the active faults (validated; throws naming the bad field). */
  setFaults(faults: EngramFaults | null): void;
  faults(): EngramFaults;
  /** Close the server and every connection. */
  stop(): Promise<void>;
}

const DEFAULT_EXACT_SCAN_BELOW = 256;

/** Start a double. `port: 0` (default) picks a free port. */
export async function startEngramDouble(opts: EngramDoubleOptions = {}): Promise<EngramDouble> {
  const keys = opts.auth === undefined ? undefined : new Set(opts.auth.keys);
  for (const key of keys ?? []) {
    if (!isWellFormedKey(key)) throw new Error(`auth.keys: '${key}' is not of the form engram_key_<keyId>_<secret>`);
  }
  const capacity = opts.capacity ?? DEFAULT_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity must be an integer >= 1, got ${capacity}`);
  const store = new EngramDoubleStore({
    capacity,
    dedupThreshold: opts.dedupThreshold ?? DEFAULT_DEDUP_THRESHOLD,
    exactScanBelow: opts.exactScanBelow ?? DEFAULT_EXACT_SCAN_BELOW,
  });
  if (opts.faults !== undefined) validateFaults(opts.faults);
  const faults = new FaultInjector();
  const stats = new DoubleStats(faults);
  const host = opts.host ?? '127.0.0.1';
  // hyper accepts URIs up to 64 KiB; recall sends a 768-float embedding in the query string.
  const server = createServer({ keepAlive: true, maxHeaderSize: 64 * 1024 }, (req, res) => {
    void serve({ req, res, store, faults, stats, keys, setFaults }).catch((err: unknown) => {
      send(res, engramError('MEMORY_SYSTEM_ERROR', `double internal error: ${(err as Error).message}`));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  const listener = new ListenerControl(server);
  const port = await listener.listen(opts.port ?? 0, host);

  function setFaults(next: EngramFaults | null): void {
    faults.set(next);
    const outage = faults.outage();
    if (outage?.mode === 'refuse') listener.refuseFor(outage.remainingMs);
    else listener.resume();
  }

  if (opts.faults !== undefined) setFaults(opts.faults);

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    store,
    get stats() {
      return stats.snapshot();
    },
    resetStats: () => stats.reset(),
    setFaults,
    faults: () => faults.get(),
    stop: () => listener.stop(),
  };
}

interface Served {
  req: IncomingMessage;
  res: ServerResponse;
  store: EngramDoubleStore;
  faults: FaultInjector;
  stats: DoubleStats;
  keys: ReadonlySet<string> | undefined;
  setFaults(faults: EngramFaults | null): void;
}

/** TCP RST: the client sees ECONNRESET. */
function reset(req: IncomingMessage): void {
  req.socket.resetAndDestroy();
}

async function serve(s: Served): Promise<void> {
  const { req } = s;
  const started = performance.now();
  const url = new URL(req.url ?? '/', 'http://double.invalid');
  const method = req.method ?? 'GET';
  if (url.pathname.startsWith(CONTROL_PREFIX)) return serveControl(s, method, url.pathname);
  const match = matchRoute(method, url.pathname);
  s.stats.request(match.found ? match.route.name : `${method} (unmatched)`);
  const decision = s.faults.decide(match.found ? match.route.kind : 'read');
  if (decision?.outage === 'reset') return reset(req);
  if (decision?.outage === '503') {
    const retry = Math.max(1, Math.ceil((s.faults.outage()?.remainingMs ?? 1000) / 1000));
    return respond(s, injectedError(503, retry), undefined, started);
  }
  const route = await admit(s, match);
  if (!route.ok) return respond(s, route.response, decision, started);
  if (decision !== undefined && decision.queueMs > 0) await sleep(decision.queueMs); // applied even if the client left meanwhile
  if (decision?.timing === 'before' && faultHits(s, decision, started)) return;
  const ctx = { req, url, body: route.body, store: s.store, health: s.faults.health, recordWrite: (r: RememberResult) => s.stats.write(r) };
  const response = route.match.route.handler(route.match.pathId === undefined ? ctx : { ...ctx, pathId: route.match.pathId });
  if (decision?.timing === 'after' && faultHits(s, decision, started)) return;
  await respond(s, response, decision, started);
}

type Admitted = { ok: true; match: Extract<RouteMatch, { found: true }>; body?: Record<string, unknown> } | { ok: false; response: DoubleResponse };

/** Route found, auth passed, JSON body extracted (in that order, as axum's layers run). */
async function admit(s: Served, match: RouteMatch): Promise<Admitted> {
  if (!match.found) {
    s.req.resume();
    return { ok: false, response: { status: match.status, headers: match.allow === undefined ? {} : { allow: match.allow } } };
  }
  const denied = match.route.public === true ? undefined : checkAuth(s.req.headers, s.keys);
  if (denied !== undefined || !match.route.body) {
    s.req.resume();
    return denied === undefined ? { ok: true, match } : { ok: false, response: denied };
  }
  const raw = await readBody(s.req);
  const parsed = raw.ok ? extractJsonObject(s.req, raw.value) : raw;
  return parsed.ok ? { ok: true, match, body: parsed.value } : parsed;
}

async function serveControl(s: Served, method: string, path: string): Promise<void> {
  const body = await readBody(s.req);
  const raw = body.ok ? body.value.toString('utf8') : '';
  send(s.res, body.ok ? handleControl(controlTarget(s), method, path, raw) : body.response);
}

/** Apply an injected reset or error; true when it replaced the normal answer. */
function faultHits(s: Served, decision: FaultDecision, started: number): boolean {
  if (decision.reset) {
    reset(s.req);
    return true;
  }
  if (decision.errorStatus !== undefined) {
    void respond(s, injectedError(decision.errorStatus, s.faults.retryAfterSeconds), decision, started);
    return true;
  }
  return false;
}

/** Wait for added latency and slow-down, then answer. */
async function respond(s: Served, response: DoubleResponse, decision: FaultDecision | undefined, started: number): Promise<void> {
  if (decision !== undefined) {
    const handlerMs = performance.now() - started;
    const waitMs = decision.delayMs + (decision.slowdownFactor - 1) * (handlerMs + decision.delayMs);
    if (waitMs > 0) await sleep(waitMs);
  }
  s.stats.status(response.status);
  send(s.res, response);
}

function controlTarget(s: Served): Parameters<typeof handleControl>[0] {
  return {
    store: s.store,
    stats: () => s.stats.snapshot(),
    resetStats: () => s.stats.reset(),
    faults: () => s.faults.get(),
    setFaults: s.setFaults,
  };
}
