import { Pool } from 'undici';
import { TargetError } from '../errors.js';
import { parseRetryAfter, withRetry } from '../engine/retry.js';
import { redactUrl } from '../shared/redact.js';

export interface EngramClientOptions {
  url: string;
  apiKey?: string;
  /** Keep-alive connections (and so concurrent requests) to the server. */
  connections?: number;
  timeoutMs?: number;
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Called on every retry, for counters. */
  onRetry?: (err: unknown) => void;
  /** TLS for an https URL: a private CA, and a client certificate and key for mutual TLS (PEM). */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
}

export interface EngramMemory {
  id: string;
  content: string;
  confidence: number;
  timestamp: string;
  embedding?: number[];
}

export interface EngramRecallHit {
  id: string;
  score: number;
}

export interface EngramListPage {
  /** Each id once. */
  memories: EngramMemory[];
  /** Entries the server returned (repeats included): a page shorter than its limit is the last. */
  returned: number;
  count: number;
  tierCounts: { hot: number; warm: number; cold: number; total: number } | null;
}

/** Engram's largest list page. */
export const MAX_LIST_PAGE = 1000;

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/** Whether a non-2xx answer (status, parsed body) is still an answer to return rather than an error. */
type AcceptAnswer = (status: number, json: unknown) => boolean;
const acceptNone: AcceptAnswer = () => false;

/**
 * Engram's HTTP API as it really behaves (see docs: engram-api.md): one request per memory over
 * keep-alive connections, explicit ids, the space in `X-Memory-Space`, retries with backoff and jitter
 * on 5xx, 408, 429, 503 Retry-After (capped by `retryMaxMs`) and broken connections. Other 4xx answers
 * are not retried; only a 2xx is a success (a 3xx is an error).
 */
export class EngramClient {
  readonly url: string;
  /** `url` with any password hidden: the form used in messages and reports. */
  readonly displayUrl: string;
  readonly #pool: Pool;
  readonly #options: Required<Omit<EngramClientOptions, 'onRetry' | 'tls'>> & Pick<EngramClientOptions, 'onRetry'>;

  constructor(options: EngramClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.displayUrl = redactUrl(this.url);
    this.#options = {
      url: this.url,
      apiKey: options.apiKey ?? '',
      connections: options.connections ?? 16,
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 10,
      retryBaseMs: options.retryBaseMs ?? 200,
      retryMaxMs: options.retryMaxMs ?? 30_000,
      onRetry: options.onRetry,
    };
    this.#pool = new Pool(this.url, {
      connections: this.#options.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: this.#options.timeoutMs,
      bodyTimeout: this.#options.timeoutMs,
      ...(options.tls ? { connect: { ...options.tls } } : {}),
    });
  }

  #headers(space: string | null, json: boolean): Record<string, string> {
    const headers: Record<string, string> = {};
    if (json) headers['content-type'] = 'application/json';
    if (space) headers['x-memory-space'] = space;
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;
    return headers;
  }

  /** One HTTP exchange, errors classified; no retry. */
  async #once(
    method: 'GET' | 'POST',
    path: string,
    space: string | null,
    body: Uint8Array | string | undefined,
    signal?: AbortSignal,
    accept: AcceptAnswer = acceptNone,
  ): Promise<{ status: number; json: unknown }> {
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.#pool.request({ method, path, headers: this.#headers(space, body !== undefined), body, signal: signal ?? null });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new TargetError('TARGET_UNAVAILABLE', `cannot reach Engram at ${this.displayUrl}: ${redactUrl((cause as Error).message)}`, {
        cause,
        retriable: true,
      });
    }
    const text = await response.body.text().catch((cause: unknown) => {
      throw new TargetError('TARGET_UNAVAILABLE', `connection to Engram broke while reading a response: ${(cause as Error).message}`, {
        cause,
        retriable: true,
      });
    });
    const status = response.statusCode;
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if ((status >= 200 && status < 300) || accept(status, json)) return { status, json };
    const err = (json as ErrorBody | null)?.error;
    const options = { status, targetCode: err?.code ?? null, retryAfterMs: parseRetryAfter(response.headers['retry-after']) };
    if (status < 400) {
      // A redirect (or any non-2xx) is not a write: following it could land the body on another server.
      const location = response.headers.location;
      throw new TargetError(
        'TARGET_HTTP',
        `Engram answered ${status} for ${method} ${path}${location ? ` (redirect to ${String(location)})` : ''}; only a 2xx counts as written: check --engram-url`,
        { ...options, retriable: false },
      );
    }
    const message = `Engram answered ${status} ${err?.code ?? ''} for ${method} ${path}: ${err?.message ?? text.slice(0, 200)}`;
    if (status === 401 || status === 403) throw new TargetError('TARGET_AUTH', message, { ...options, retriable: false });
    if (status >= 500 || status === 429 || status === 408) throw new TargetError('TARGET_HTTP', message, { ...options, retriable: true });
    throw new TargetError('TARGET_REJECTED', message, options);
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    space: string | null,
    body?: Uint8Array | string,
    signal?: AbortSignal,
    accept: AcceptAnswer = acceptNone,
  ): Promise<{ status: number; json: unknown }> {
    return withRetry(() => this.#once(method, path, space, body, signal, accept), {
      maxRetries: this.#options.maxRetries,
      baseMs: this.#options.retryBaseMs,
      maxMs: this.#options.retryMaxMs,
      ...(signal ? { signal } : {}),
      onRetry: (err) => this.#options.onRetry?.(err),
    });
  }

  /** Stores one memory; `body` is the JSON request (it must carry `id`). Returns the id the server reports. */
  async remember(space: string, body: Uint8Array | string, signal?: AbortSignal): Promise<string> {
    const { json } = await this.#request('POST', '/api/v1/memories/remember', space, body, signal);
    return String((json as { memory_id?: unknown } | null)?.memory_id ?? '');
  }

  /** One memory without its embedding, or null when the server has none under that id. */
  async getMemory(space: string, id: string, signal?: AbortSignal): Promise<EngramMemory | null> {
    try {
      const { json } = await this.#request('GET', `/api/v1/memories/${encodeURIComponent(id)}?space=${encodeURIComponent(space)}`, space, undefined, signal);
      return json as EngramMemory;
    } catch (err) {
      if (err instanceof TargetError && err.status === 404) return null;
      throw err;
    }
  }

  /**
   * A page of a space's memories (the only way to read embeddings back). At most 1,000 per page.
   * No `tier` parameter: the real server then lists its hot tier, each memory once; with `tier=all` a
   * memory is listed once per tier that holds it (hot and, once persisted, warm), so ids repeat. An id
   * is still dropped if it repeats within the page. Order is not stable while writes happen.
   */
  async listMemories(space: string, offset: number, limit: number, includeEmbeddings: boolean, signal?: AbortSignal): Promise<EngramListPage> {
    const query = `limit=${limit}&offset=${offset}&include_embeddings=${includeEmbeddings}&space=${encodeURIComponent(space)}`;
    const { json } = await this.#request('GET', `/api/v1/memories?${query}`, space, undefined, signal);
    const body = json as { memories?: EngramMemory[]; count?: number; tier_counts?: EngramListPage['tierCounts'] };
    const listed = body.memories ?? [];
    const byId = new Map<string, EngramMemory>();
    for (const m of listed) if (!byId.has(m.id)) byId.set(m.id, m);
    return { memories: [...byId.values()], returned: listed.length, count: body.count ?? 0, tierCounts: body.tier_counts ?? null };
  }

  /**
   * Every memory of a space, each id once, page by page until a short page (1,000 per page).
   * `onPage` sees each page's memories not seen before. Returns the distinct ids listed.
   */
  async forEachMemory(space: string, includeEmbeddings: boolean, onPage: (memories: EngramMemory[]) => void, signal?: AbortSignal): Promise<Set<string>> {
    const ids = new Set<string>();
    for (let offset = 0; ; offset += MAX_LIST_PAGE) {
      const page = await this.listMemories(space, offset, MAX_LIST_PAGE, includeEmbeddings, signal);
      const fresh = page.memories.filter((m) => !ids.has(m.id));
      for (const m of fresh) ids.add(m.id);
      onPage(fresh);
      if (page.returned < MAX_LIST_PAGE) return ids;
    }
  }

  /**
   * Memories held in a space: its distinct listed ids. Not `tier_counts.hot` (it counts stored versions:
   * every update that lands adds one) and not the `count` of a `tier=all` listing (ids repeat per tier).
   * Measured on the real server: a memory that a near-duplicate with a higher confidence replaced still
   * shows in the listing (GET answers 404), so this can overcount such losses; read sampled ids back by id.
   */
  async spaceCount(space: string, signal?: AbortSignal): Promise<number> {
    return (await this.forEachMemory(space, false, () => undefined, signal)).size;
  }

  /**
   * {@link spaceCount} of each space. With `loadedOnly`, only of the spaces the server has loaded
   * ({@link loadedSpaces}); the others are left out of the map, not asked: asking a space anything creates it.
   */
  async spaceCounts(spaces: readonly string[], signal?: AbortSignal, loadedOnly = false): Promise<Map<string, number>> {
    const loaded = loadedOnly ? await this.loadedSpaces(signal) : null;
    const counts = new Map<string, number>();
    for (const space of spaces) if (!loaded || loaded.has(space)) counts.set(space, await this.spaceCount(space, signal));
    return counts;
  }

  /**
   * The spaces the server has loaded, from `GET /api/v1/system/health` asked for no space (its 503
   * `unhealthy` answer still lists them). Measured on the real server: asking a space anything (a listing,
   * a read, a count) creates it, at seconds and about 3 GB of mapped pages each (a listing of a new space
   * took 9.6 s); and after a restart a space persisted in the data directory is not listed here until
   * something asks it (then its memories are back). So a space missing here is new or not yet reloaded:
   * this tells a dry run what it may count without creating anything, not whether a space is empty.
   */
  async loadedSpaces(signal?: AbortSignal): Promise<Set<string>> {
    // A 503 that lists no spaces is not the server's own `unhealthy` (a proxy, an overload): retried as any 503.
    const spacesOf = (json: unknown): unknown => (json as { spaces?: unknown } | null)?.spaces;
    const { json } = await this.#request(
      'GET',
      '/api/v1/system/health',
      null,
      undefined,
      signal,
      (status, body) => status === 503 && Array.isArray(spacesOf(body)),
    );
    const list = spacesOf(json) as Array<{ space?: unknown }> | undefined;
    if (!Array.isArray(list))
      throw new TargetError('TARGET_HTTP', `Engram at ${this.displayUrl} answered /api/v1/system/health without a spaces list`, { retriable: false });
    return new Set(list.map((s) => String(s.space)));
  }

  /** Top-k recall by embedding (similarity only: Engram does not wire spreading activation into the server). */
  async recall(space: string, embedding: ArrayLike<number>, k: number, signal?: AbortSignal): Promise<EngramRecallHit[]> {
    // Seven significant digits keep the URL near 9 KB; recall ranks by cosine, which this does not move measurably.
    const cue = encodeURIComponent(JSON.stringify(Array.from(embedding, (x) => Number(x.toPrecision(7)))));
    const { json } = await this.#request(
      'GET',
      `/api/v1/memories/recall?embedding=${cue}&max_results=${k}&threshold=0&space=${encodeURIComponent(space)}`,
      space,
      undefined,
      signal,
    );
    const memories = (
      json as { memories?: { vivid?: Array<{ id: string; similarity_score?: number }>; associated?: Array<{ id: string; similarity_score?: number }> } }
    ).memories;
    const hits = [...(memories?.vivid ?? []), ...(memories?.associated ?? [])].map((m) => ({ id: m.id, score: m.similarity_score ?? 0 }));
    return hits.sort((a, b) => b.score - a.score).slice(0, k);
  }

  /**
   * `GET /health`. Any answer means the server is up: the real server answers 503 `unhealthy` for a
   * while on a busy machine (its own cognitive checks) while its API already works, so that answer is
   * returned, neither retried nor thrown. Connection failures are retried.
   */
  async health(signal?: AbortSignal): Promise<{ status: string }> {
    const { status, json } = await this.#request('GET', '/health', null, undefined, signal, (s) => s === 503);
    return status === 503 ? { status: 'unhealthy' } : ((json ?? { status: 'unknown' }) as { status: string });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
