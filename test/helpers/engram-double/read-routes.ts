/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): read routes.
 * - `GET /api/v1/memories/{id}` -> `{id, content, confidence, timestamp, memory_type}` or 404
 * - `GET /api/v1/memories?limit(<=1000)&offset&include_embeddings&tier` -> page + `tier_counts`, as
 *   measured on the real server: no `tier` (= `hot`) lists every memory once, ghosts of replaced
 *   memories included; `warm` lists those of activation < 0.7; `all` is hot then warm, so ids repeat;
 *   `count` is the length of that view; `tier_counts.hot` counts writes stored as new (see
 *   MemorySpace.versions), `warm` the warm view.
 * - `GET /api/v1/memories/recall` -> exact similarity recall: score max(0, cosine), >= threshold
 *   (default 0.5), best first, top `max_results` (default 10); > 0.7 `vivid`, else `associated`.
 *   A text-only `query` matches nothing (the double has no text index). `mode=spreading|hybrid` -> 400.
 * - `GET /api/v1/system/health`, `GET /health` -> status (503 when unhealthy)
 */
import { invalidInput, memoryNotFound, type DoubleResponse } from './engram-errors.js';
import { json, queryBool, queryFloat, queryUsize } from './request-io.js';
import { confidenceCategory, resolveSpace, rfc3339Time, serdeTime, type RouteContext } from './route-context.js';
import { HOT_ACTIVATION, type MemorySpace } from './memory-space.js';
import { EMBEDDING_DIM, MAX_LIST_LIMIT, type StoredMemory } from './types.js';

const DEFAULT_LIST_LIMIT = 100;
const TIERS = ['hot', 'warm', 'cold', 'all'];

/** `GET /api/v1/memories/{id}`. */
export function getMemory(ctx: RouteContext): DoubleResponse {
  const space = resolveSpace(ctx);
  if (!space.ok) return space.response;
  const id = ctx.pathId ?? '';
  const memory = ctx.store.space(space.value).get(id);
  if (memory === undefined) return memoryNotFound(id);
  return json(200, {
    id: memory.id,
    content: memory.content,
    confidence: memory.confidence,
    timestamp: rfc3339Time(memory.timestampMs),
    memory_type: 'episodic',
  });
}

/** `GET /api/v1/memories`. */
export function listMemories(ctx: RouteContext): DoubleResponse {
  const params = ctx.url.searchParams;
  const space = resolveSpace(ctx);
  if (!space.ok) return space.response;
  const limit = queryUsize(params, 'limit');
  if (!limit.ok) return limit.response;
  const offset = queryUsize(params, 'offset');
  if (!offset.ok) return offset.response;
  const withEmbeddings = queryBool(params, 'include_embeddings');
  if (!withEmbeddings.ok) return withEmbeddings.response;
  const tier = params.get('tier') ?? 'hot';
  if (!TIERS.includes(tier)) return invalidInput(`Unknown tier '${tier}'. Use one of: hot, warm, cold, all.`);
  const target = ctx.store.space(space.value);
  const effectiveLimit = Math.min(limit.value ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
  const start = offset.value ?? 0;
  const page = listTier(target, tier, start, effectiveLimit, withEmbeddings.value === true);
  const memories = page.memories.map((m) => {
    const item: Record<string, unknown> = { id: m.id, content: m.content, confidence: m.confidence, timestamp: rfc3339Time(m.timestampMs) };
    if (withEmbeddings.value === true) item['embedding'] = Array.from(m.embedding);
    return item;
  });
  const warm = target.warmCount + target.ghosts().filter(isWarm).length;
  return json(200, {
    memories,
    count: page.count,
    pagination: { offset: start, limit: effectiveLimit, returned: memories.length },
    tier_counts: { hot: target.versions, warm, cold: 0, total: target.versions + warm },
  });
}

const isWarm = (m: StoredMemory): boolean => (m.activation ?? 0) < HOT_ACTIVATION;

/** One tier's view, paged: hot = live memories then ghosts; warm = those below the hot activation; all = hot then warm. */
function listTier(space: MemorySpace, tier: string, offset: number, limit: number, withEmbeddings: boolean): { memories: StoredMemory[]; count: number } {
  const ghosts = space.ghosts();
  const hotCount = space.count + ghosts.length;
  const warmGhosts = ghosts.filter(isWarm);
  const warmCount = space.warmCount + warmGhosts.length;
  const view = (live: number, extra: StoredMemory[], warmOnly: boolean, from: number, take: number): StoredMemory[] => {
    const head = from < live ? space.list(from, take, withEmbeddings, warmOnly) : [];
    return [...head, ...extra.slice(Math.max(0, from - live), Math.max(0, from - live) + take - head.length)];
  };
  if (tier === 'cold') return { memories: [], count: 0 };
  if (tier === 'warm') return { memories: view(space.warmCount, warmGhosts, true, offset, limit), count: warmCount };
  const hot = view(space.count, ghosts, false, offset, limit);
  if (tier === 'hot') return { memories: hot, count: hotCount };
  const rest = limit - hot.length;
  const warm = rest > 0 ? view(space.warmCount, warmGhosts, true, Math.max(0, offset - hotCount), rest) : [];
  return { memories: [...hot, ...warm], count: hotCount + warmCount };
}

function parseCue(raw: string): Float32Array | undefined {
  let values: unknown;
  try {
    values = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'number')) return undefined;
  return Float32Array.from(values as number[]);
}

function checkMode(mode: string | null): DoubleResponse | undefined {
  if (mode === null) return undefined;
  const m = mode.trim().toLowerCase();
  if (m === 'similarity') return undefined;
  if (m === 'spreading' || m === 'hybrid') {
    return invalidInput(
      'Spreading recall requires the `spreading_api_beta` flag. Enable it with `engram config set feature_flags.spreading_api_beta true` and restart the server.',
    );
  }
  return invalidInput(`Unsupported recall mode '${m}'. Use one of: similarity, spreading, hybrid.`);
}

type Hit = ReturnType<MemorySpace['recall']>[number];

/** One recall result `R`; the score is also the confidence and activation, as in Engram. */
function recallResult({ memory, score }: Hit, now: string): Record<string, unknown> {
  return {
    id: memory.id,
    content: memory.content,
    confidence: { value: score, category: confidenceCategory(score), reasoning: 'Recalled from memory store with confidence score' },
    activation_level: score,
    similarity_score: score,
    retrieval_path: 'Memory store recall',
    observed_at: serdeTime(memory.timestampMs),
    last_access: now,
    tags: [],
    memory_type: 'Episodic',
    relevance_explanation: `Retrieved with ${score.toFixed(2)} confidence`,
  };
}

interface RecallQuery {
  text: string | null;
  cue?: Float32Array;
  k: number;
  threshold: number;
}

/** Query parameters of a recall, or the 400 that rejects them. */
function parseRecallQuery(params: URLSearchParams): { ok: true; value: RecallQuery } | { ok: false; response: DoubleResponse } {
  const maxResults = queryUsize(params, 'max_results');
  if (!maxResults.ok) return maxResults;
  const threshold = queryFloat(params, 'threshold');
  if (!threshold.ok) return threshold;
  const text = params.get('query');
  const rawCue = params.get('embedding');
  if (text === null && rawCue === null) {
    return {
      ok: false,
      response: invalidInput('Recall requires either a text query or embedding vector. Memory retrieval needs a cue - what are you trying to remember?'),
    };
  }
  const cue = rawCue === null ? undefined : parseCue(rawCue);
  if (rawCue !== null && cue === undefined) return { ok: false, response: invalidInput('Invalid embedding format. Expected JSON array of floats.') };
  if (cue !== undefined && cue.length !== EMBEDDING_DIM) {
    return { ok: false, response: invalidInput(`Embedding must be exactly ${EMBEDDING_DIM} dimensions, got ${cue.length}`) };
  }
  const modeError = checkMode(params.get('mode'));
  if (modeError) return { ok: false, response: modeError };
  const value: RecallQuery = { text, k: maxResults.value ?? 10, threshold: threshold.value ?? 0.5 };
  if (cue !== undefined) value.cue = cue;
  return { ok: true, value };
}

/** `GET /api/v1/memories/recall`. */
export function recallMemories(ctx: RouteContext): DoubleResponse {
  const started = performance.now();
  const parsed = parseRecallQuery(ctx.url.searchParams);
  if (!parsed.ok) return parsed.response;
  const space = resolveSpace(ctx);
  if (!space.ok) return space.response;
  const { text, cue, k, threshold } = parsed.value;
  const hits = text === null && cue !== undefined ? ctx.store.space(space.value).recall(cue, k, threshold) : [];
  const now = serdeTime(Date.now());
  const elapsedMs = Math.round(performance.now() - started);
  return json(200, {
    memories: {
      vivid: hits.filter((h) => h.score > 0.7).map((h) => recallResult(h, now)),
      associated: hits.filter((h) => h.score <= 0.7).map((h) => recallResult(h, now)),
      reconstructed: [],
    },
    recall_confidence: { value: 0.8, category: 'High', reasoning: 'Similarity recall emphasised lexical and embedding cues' },
    query_analysis: {
      understood_intent: text ?? 'Embedding-based recall request',
      search_strategy: cue !== undefined ? 'Vector similarity with contextual dilation' : 'Similarity-first recall using lexical cues',
      cognitive_load: k > 20 ? 'Medium' : 'Low',
      suggestions: [k < 10 ? 'Increase max_results to surface broader associations' : 'Apply tag filters to focus on specific episodic clusters'],
    },
    metadata:
      ctx.url.searchParams.get('include_metadata') === 'true'
        ? { total_memories_searched: ctx.store.count(space.value), activation_spread_hops: 2, processing_time_ms: elapsedMs, memory_system_load: 'Normal' }
        : null,
    system_message: `Recall completed in ${elapsedMs}ms. Found memories through direct matching and spreading activation.`,
  });
}

/** `GET /api/v1/system/health`: every space, or only `?space=` / `X-Memory-Space` when given. */
export function systemHealth(ctx: RouteContext): DoubleResponse {
  const asked = ctx.req.headers['x-memory-space'] !== undefined || ctx.url.searchParams.has('space');
  let spaces = ctx.store.spaces();
  if (asked) {
    const space = resolveSpace(ctx);
    if (!space.ok) return space.response;
    spaces = [ctx.store.space(space.value).id];
  }
  return json(ctx.health === 'unhealthy' ? 503 : 200, {
    status: ctx.health,
    timestamp: rfc3339Time(Date.now()),
    checks: [],
    spaces: spaces.map((space) => ({
      space,
      memories: ctx.store.space(space).versions,
      pressure: 0,
      wal_lag_ms: 0,
      consolidation_rate: 0,
    })),
  });
}

/** `GET /health`. */
export function simpleHealth(ctx: RouteContext): DoubleResponse {
  return json(ctx.health === 'unhealthy' ? 503 : 200, {
    status: ctx.health,
    service: 'engram',
    version: '0.1.0',
    timestamp: rfc3339Time(Date.now()),
  });
}
