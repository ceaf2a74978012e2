/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): control routes that exist only on the double,
 * all under `/__double/`, never faulted and never behind auth, so a benchmark in another process can
 * steer it:
 * - `GET  /__double/stats`        counters (requests, statuses, write outcomes, injected faults) and
 *                                 `process: {cpuMs, rssBytes}` of the double's process
 * - `POST /__double/stats/reset`  zero the counters
 * - `GET  /__double/faults`       active faults
 * - `POST /__double/faults`       replace faults with the JSON body (`{}` or `null` clears them)
 * - `POST /__double/seed`         `{space, count, seed?, idPrefix?}`: fill a space with random memories
 * - `POST /__double/reset`        drop every memory of every space
 * - `GET  /__double/spaces`       `[{space, memories}]`
 */
import { plainText, type DoubleResponse } from './engram-errors.js';
import type { EngramDoubleStore } from './engram-double-store.js';
import { isValidSpaceId } from './engram-double-store.js';
import { json } from './request-io.js';
import type { EngramDoubleStats, EngramFaults } from './types.js';

/** Prefix of every control route. */
export const CONTROL_PREFIX = '/__double/';

/** What control routes may touch. */
export interface ControlTarget {
  store: EngramDoubleStore;
  stats(): EngramDoubleStats;
  resetStats(): void;
  faults(): EngramFaults;
  setFaults(faults: EngramFaults | null): void;
}

function seed(target: ControlTarget, body: unknown): DoubleResponse {
  const b = (body ?? {}) as { space?: unknown; count?: unknown; seed?: unknown; idPrefix?: unknown };
  const space = typeof b.space === 'string' ? b.space : 'default';
  if (!isValidSpaceId(space)) return plainText(400, `seed: invalid space id '${space}'`);
  if (typeof b.count !== 'number' || !Number.isInteger(b.count) || b.count < 0) return plainText(400, 'seed: count must be an integer >= 0');
  const options: { seed?: number; idPrefix?: string } = {};
  if (typeof b.seed === 'number') options.seed = b.seed;
  if (typeof b.idPrefix === 'string') options.idPrefix = b.idPrefix;
  const stored = target.store.seed(space, b.count, options);
  return json(200, { space, stored, memories: target.store.count(space) });
}

function parseBody(raw: string): { ok: true; value: unknown } | { ok: false; response: DoubleResponse } {
  if (raw.trim() === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch (err) {
    return { ok: false, response: plainText(400, `invalid JSON: ${(err as Error).message}`) };
  }
}

/** Answer a control request (`path` starts with {@link CONTROL_PREFIX}). */
export function handleControl(target: ControlTarget, method: string, path: string, rawBody: string): DoubleResponse {
  const route = `${method} ${path.slice(CONTROL_PREFIX.length)}`;
  const body = parseBody(rawBody);
  if (!body.ok) return body.response;
  switch (route) {
    case 'GET stats': {
      const cpu = process.cpuUsage();
      return json(200, { ...target.stats(), process: { cpuMs: (cpu.user + cpu.system) / 1000, rssBytes: process.memoryUsage().rss } });
    }
    case 'POST stats/reset':
      target.resetStats();
      return json(200, target.stats());
    case 'GET faults':
      return json(200, target.faults());
    case 'POST faults':
      try {
        target.setFaults(body.value as EngramFaults | null);
      } catch (err) {
        return plainText(400, (err as Error).message);
      }
      return json(200, target.faults());
    case 'POST seed':
      return seed(target, body.value);
    case 'POST reset':
      target.store.clear();
      return json(200, { spaces: target.store.spaces() });
    case 'GET spaces':
      return json(
        200,
        target.store.spaces().map((space) => ({ space, memories: target.store.count(space) })),
      );
    default:
      return plainText(404, `unknown control route ${route}`);
  }
}
