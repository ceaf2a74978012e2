/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): body reading with axum's 2 MiB limit, JSON
 * extraction with axum's rejections, query parsing and response writing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyTooLarge, jsonDataError, jsonSyntaxError, missingJsonContentType, queryError, type DoubleResponse } from './engram-errors.js';
import { BODY_LIMIT_BYTES } from './types.js';

/** Either a value or the answer that rejects the request. */
export type Extracted<T> = { ok: true; value: T } | { ok: false; response: DoubleResponse };

/** Read the whole body, rejecting with 413 past the limit. */
export async function readBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<Extracted<Buffer>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return { ok: false, response: bodyTooLarge() };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return { ok: false, response: bodyTooLarge() };
    chunks.push(chunk);
  }
  return { ok: true, value: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
}

/** axum's `Json<T>` extraction of a JSON object: content type, syntax, then top-level shape. */
export function extractJsonObject(req: IncomingMessage, body: Buffer): Extracted<Record<string, unknown>> {
  const type = String(req.headers['content-type'] ?? '')
    .toLowerCase()
    .split(';')[0]!
    .trim();
  if (!(type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json')))) {
    return { ok: false, response: missingJsonContentType() };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { ok: false, response: jsonSyntaxError((err as Error).message) };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, response: jsonDataError('invalid type: expected struct at line 1 column 1') };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}

/** Optional non-negative integer query parameter (serde `usize`). */
export function queryUsize(params: URLSearchParams, name: string): Extracted<number | undefined> {
  const raw = params.get(name);
  if (raw === null) return { ok: true, value: undefined };
  if (!/^\d+$/.test(raw)) return { ok: false, response: queryError(`${name}: invalid digit found in string`) };
  return { ok: true, value: Number(raw) };
}

/** Optional float query parameter (serde `f32`). */
export function queryFloat(params: URLSearchParams, name: string): Extracted<number | undefined> {
  const raw = params.get(name);
  if (raw === null) return { ok: true, value: undefined };
  const value = Number(raw);
  if (raw.trim() === '' || Number.isNaN(value)) return { ok: false, response: queryError(`${name}: invalid float literal`) };
  return { ok: true, value };
}

/** Optional boolean query parameter (serde `bool`: exactly `true` or `false`). */
export function queryBool(params: URLSearchParams, name: string): Extracted<boolean | undefined> {
  const raw = params.get(name);
  if (raw === null) return { ok: true, value: undefined };
  if (raw !== 'true' && raw !== 'false') return { ok: false, response: queryError(`${name}: provided string was not \`true\` or \`false\``) };
  return { ok: true, value: raw === 'true' };
}

/** Write `response` (JSON unless it carries `text`). */
export function send(res: ServerResponse, response: DoubleResponse): void {
  if (res.headersSent || res.destroyed) return;
  let payload = '';
  let type: string | undefined;
  if (response.text !== undefined) {
    payload = response.text;
    type = 'text/plain; charset=utf-8';
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    type = 'application/json';
  }
  const headers: Record<string, string | number> = { ...response.headers, 'content-length': Buffer.byteLength(payload) };
  if (type !== undefined) headers['content-type'] = type;
  res.writeHead(response.status, headers);
  res.end(payload);
}

/** JSON answer helper. */
export function json(status: number, body: unknown): DoubleResponse {
  return { status, body };
}
