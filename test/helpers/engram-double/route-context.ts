/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): what a route handler gets, memory-space
 * selection (header `X-Memory-Space`, then `?space=`, then body `memory_space_id`, then `default`)
 * and the two timestamp formats the server emits.
 */
import type { IncomingMessage } from 'node:http';
import { invalidInput } from './engram-errors.js';
import { isValidSpaceId, type EngramDoubleStore } from './engram-double-store.js';
import type { Extracted } from './request-io.js';
import type { RememberResult } from './memory-space.js';

/** Everything a route handler may use. */
export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  /** Path parameter (`{id}`), already percent-decoded. */
  pathId?: string;
  /** Parsed JSON body (POST routes). */
  body?: Record<string, unknown>;
  store: EngramDoubleStore;
  health: 'healthy' | 'degraded' | 'unhealthy';
  /** Record a store outcome in the statistics. */
  recordWrite(result: RememberResult): void;
}

/** The memory space of a request, validated. */
export function resolveSpace(ctx: RouteContext, bodySpace?: string): Extracted<string> {
  const header = ctx.req.headers['x-memory-space'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const space = fromHeader ?? ctx.url.searchParams.get('space') ?? bodySpace ?? 'default';
  if (!isValidSpaceId(space)) {
    return {
      ok: false,
      response: invalidInput(`Invalid memory space id '${space}': must be 3-64 characters from [a-z0-9_-]`),
    };
  }
  return { ok: true, value: space };
}

/** chrono `DateTime<Utc>` serde form: `2024-01-01T00:00:00Z`, fraction only when non-zero. */
export function serdeTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** chrono `to_rfc3339()` form: `2024-01-01T00:00:00+00:00`. */
export function rfc3339Time(ms: number): string {
  return serdeTime(ms).replace('Z', '+00:00');
}

/** Engram's confidence category. */
export function confidenceCategory(value: number): 'High' | 'Medium' | 'Low' {
  return value > 0.7 ? 'High' : value > 0.4 ? 'Medium' : 'Low';
}
