/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): the route table. Static paths win over
 * `{id}` paths and a known path with the wrong method answers 405, as axum's router does; an
 * unknown path answers 404 with an empty body.
 */
import type { DoubleResponse } from './engram-errors.js';
import type { RouteKind } from './fault-injector.js';
import { getMemory, listMemories, recallMemories, simpleHealth, systemHealth } from './read-routes.js';
import type { RouteContext } from './route-context.js';
import { createMemoryRest, deleteMemory, rememberEpisode, rememberMemory } from './write-routes.js';

/** One route. */
export interface EngramRoute {
  /** Name used in the statistics, e.g. `POST /api/v1/memories/remember`. */
  name: string;
  kind: RouteKind;
  /** Whether the handler needs the JSON body. */
  body: boolean;
  /** Whether auth is skipped (liveness probe). */
  public?: boolean;
  handler(ctx: RouteContext): DoubleResponse;
}

type MethodTable = Record<string, Omit<EngramRoute, 'name'>>;

const STATIC: Record<string, MethodTable> = {
  '/api/v1/memories/remember': { POST: { kind: 'write', body: true, handler: rememberMemory } },
  '/api/v1/episodes/remember': { POST: { kind: 'write', body: true, handler: rememberEpisode } },
  '/api/v1/memories/recall': { GET: { kind: 'read', body: false, handler: recallMemories } },
  '/api/v1/memories': {
    POST: { kind: 'write', body: true, handler: createMemoryRest },
    GET: { kind: 'read', body: false, handler: listMemories },
  },
  '/api/v1/system/health': { GET: { kind: 'read', body: false, handler: systemHealth } },
  '/health': { GET: { kind: 'read', body: false, public: true, handler: simpleHealth } },
};

const BY_ID: MethodTable = {
  GET: { kind: 'read', body: false, handler: getMemory },
  DELETE: { kind: 'write', body: false, handler: deleteMemory },
};

const ID_PREFIX = '/api/v1/memories/';

/** Result of matching a request line. */
export type RouteMatch = { found: true; route: EngramRoute; pathId?: string } | { found: false; status: 404 | 405; allow?: string };

/** Find the route of `method path`. */
export function matchRoute(method: string, path: string): RouteMatch {
  let table = STATIC[path];
  let pathId: string | undefined;
  let pattern = path;
  if (table === undefined && path.startsWith(ID_PREFIX) && path.length > ID_PREFIX.length && !path.slice(ID_PREFIX.length).includes('/')) {
    table = BY_ID;
    pattern = `${ID_PREFIX}{id}`;
    try {
      pathId = decodeURIComponent(path.slice(ID_PREFIX.length));
    } catch {
      return { found: false, status: 404 };
    }
  }
  if (table === undefined) return { found: false, status: 404 };
  const entry = table[method];
  if (entry === undefined) return { found: false, status: 405, allow: Object.keys(table).join(',') };
  const route: EngramRoute = { ...entry, name: `${method} ${pattern}` };
  return pathId === undefined ? { found: true, route } : { found: true, route, pathId };
}
