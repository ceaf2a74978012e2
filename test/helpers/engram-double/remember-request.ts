/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): validation of remember and episode bodies.
 * Wrong JSON types are axum/serde rejections (422 plain text); the checks Engram's handler makes
 * (empty or > 100,000-byte content, embedding width and finiteness, confidence range, RFC3339 time,
 * space id) answer 400 INVALID_MEMORY_INPUT. Unknown fields are ignored; `tags`, `memory_type`,
 * `confidence_reasoning`, `auto_link`, `link_threshold` are accepted and dropped.
 */
import { invalidInput, jsonDataError } from './engram-errors.js';
import type { Extracted } from './request-io.js';
import { EMBEDDING_DIM, MAX_CONTENT_BYTES } from './types.js';

/** A remember body after validation (space not yet resolved). */
export interface RememberBody {
  id?: string;
  content: string;
  /** Undefined when the client sent none: the route substitutes the constant vector. */
  embedding?: Float32Array;
  confidence: number;
  timestampMs?: number;
  bodySpace?: string;
  /** `confidence_reasoning`: not stored, only echoed in `storage_confidence.reasoning`. */
  reasoning?: string;
  /** `auto_link` / `link_threshold`: only shape the (placeholder) `auto_links` of the answer. */
  autoLink?: { threshold: number };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds of an RFC3339 timestamp, or undefined when it is not one. */
export function parseRfc3339(value: string): number | undefined {
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}

type FieldType = 'string' | 'number' | 'array';

function typeError(obj: Record<string, unknown>, field: string, type: FieldType): Extracted<never> | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  const ok = type === 'array' ? Array.isArray(v) : typeof v === type;
  if (ok) return undefined;
  const expected = type === 'array' ? 'a sequence' : type === 'number' ? 'f32' : 'a string';
  return { ok: false, response: jsonDataError(`${field}: invalid type: ${JSON.stringify(v)}, expected ${expected}`) };
}

/** Check JSON types of the listed fields and presence of the required ones (serde's job). */
export function checkTypes(obj: Record<string, unknown>, fields: Record<string, FieldType>, required: string[]): Extracted<never> | undefined {
  for (const name of required) {
    if (obj[name] === undefined || obj[name] === null) {
      return { ok: false, response: jsonDataError(`missing field \`${name}\` at line 1 column 1`) };
    }
  }
  for (const [name, type] of Object.entries(fields)) {
    const err = typeError(obj, name, type);
    if (err) return err;
  }
  return undefined;
}

/** An embedding of exactly 768 finite numbers, as Float32 (Engram stores f32). */
export function parseEmbedding(raw: unknown): Extracted<Float32Array | undefined> {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  const values = raw as unknown[];
  if (values.length !== EMBEDDING_DIM) {
    return { ok: false, response: invalidInput(`Embedding must be exactly ${EMBEDDING_DIM} dimensions, got ${values.length}`) };
  }
  const out = new Float32Array(EMBEDDING_DIM);
  for (let i = 0; i < EMBEDDING_DIM; i++) {
    const v = values[i];
    const f = typeof v === 'number' ? Math.fround(v) : Number.NaN;
    if (!Number.isFinite(f)) {
      return { ok: false, response: invalidInput(`Embedding must contain only finite numbers; element ${i} is ${JSON.stringify(v) ?? String(v)}`) };
    }
    out[i] = f;
  }
  return { ok: true, value: out };
}

/** Validate a `POST /api/v1/memories/remember` body. */
export function parseRememberBody(obj: Record<string, unknown>): Extracted<RememberBody> {
  const types = checkTypes(obj, { id: 'string', content: 'string', embedding: 'array', confidence: 'number', timestamp: 'string', memory_space_id: 'string' }, [
    'content',
  ]);
  if (types) return types;
  const content = obj['content'] as string;
  if (content.trim() === '') {
    return {
      ok: false,
      response: invalidInput('Memory content cannot be empty. The memory system needs meaningful content to create lasting neural patterns.'),
    };
  }
  if (Buffer.byteLength(content, 'utf8') > MAX_CONTENT_BYTES) {
    return {
      ok: false,
      response: invalidInput('Memory content too large (>100KB). Consider breaking this into smaller, more focused memories for better consolidation.'),
    };
  }
  const embedding = parseEmbedding(obj['embedding']);
  if (!embedding.ok) return embedding;
  const confidence = (obj['confidence'] as number | undefined | null) ?? 0.7;
  if (!(confidence >= 0 && confidence <= 1)) {
    return { ok: false, response: invalidInput(`Confidence must be between 0.0 and 1.0, got ${confidence}`) };
  }
  const body: RememberBody = { content, confidence };
  if (embedding.value !== undefined) body.embedding = embedding.value;
  if (typeof obj['id'] === 'string') body.id = obj['id'];
  if (typeof obj['memory_space_id'] === 'string') body.bodySpace = obj['memory_space_id'];
  if (typeof obj['confidence_reasoning'] === 'string') body.reasoning = obj['confidence_reasoning'];
  if (obj['auto_link'] === true) {
    const t = obj['link_threshold'];
    body.autoLink = { threshold: typeof t === 'number' ? t : 0.7 };
  }
  if (typeof obj['timestamp'] === 'string') {
    const ms = parseRfc3339(obj['timestamp']);
    if (ms === undefined) return { ok: false, response: invalidInput(`Invalid timestamp '${obj['timestamp']}': expected RFC3339`) };
    body.timestampMs = ms;
  }
  return { ok: true, value: body };
}

/** Validate a `POST /api/v1/episodes/remember` body into the same shape (`what` -> content). */
export function parseEpisodeBody(obj: Record<string, unknown>): Extracted<RememberBody> {
  const types = checkTypes(
    obj,
    {
      id: 'string',
      when: 'string',
      what: 'string',
      where_location: 'string',
      who: 'array',
      embedding: 'array',
      importance: 'number',
      memory_space_id: 'string',
    },
    ['when', 'what'],
  );
  if (types) return types;
  const who = obj['who'];
  if (Array.isArray(who) && who.some((w) => typeof w !== 'string')) {
    return { ok: false, response: jsonDataError('who: invalid type: expected a string') };
  }
  const when = parseRfc3339(obj['when'] as string);
  if (when === undefined) return { ok: false, response: invalidInput(`Invalid timestamp '${String(obj['when'])}': expected RFC3339`) };
  const what = obj['what'] as string;
  if (what.trim() === '') {
    return { ok: false, response: invalidInput("Episode description cannot be empty. Episodic memories need vivid 'what happened' narratives.") };
  }
  const embedding = parseEmbedding(obj['embedding']);
  if (!embedding.ok) return embedding;
  const importance = (obj['importance'] as number | undefined | null) ?? 0.5;
  const body: RememberBody = { content: what, confidence: Math.min(1, Math.max(0, importance)), timestampMs: when };
  if (embedding.value !== undefined) body.embedding = embedding.value;
  if (typeof obj['id'] === 'string') body.id = obj['id'];
  if (typeof obj['memory_space_id'] === 'string') body.bodySpace = obj['memory_space_id'];
  return { ok: true, value: body };
}
