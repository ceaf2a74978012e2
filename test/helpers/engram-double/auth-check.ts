/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): API-key auth. When on, every Engram route
 * except `GET /health` needs `Authorization: Bearer engram_key_<keyId>_<secret>`:
 * missing or malformed -> 401 UNAUTHORIZED, well-formed but unknown -> 403 FORBIDDEN.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { engramError, type DoubleResponse } from './engram-errors.js';

const BEARER = /^Bearer\s+(engram_key_[A-Za-z0-9-]+_\S+)$/;

/** True when `key` has the `engram_key_<keyId>_<secret>` form. */
export function isWellFormedKey(key: string): boolean {
  return BEARER.test(`Bearer ${key}`);
}

/** The rejecting answer, or undefined when the request may pass. */
export function checkAuth(headers: IncomingHttpHeaders, keys: ReadonlySet<string> | undefined): DoubleResponse | undefined {
  if (keys === undefined) return undefined;
  const header = headers.authorization;
  const match = header === undefined ? null : BEARER.exec(header.trim());
  if (match === null) {
    return engramError('UNAUTHORIZED', 'Missing or malformed API key. Send `Authorization: Bearer engram_key_<keyId>_<secret>`.');
  }
  if (!keys.has(match[1]!)) return engramError('FORBIDDEN', 'The API key is not valid for this server.');
  return undefined;
}
