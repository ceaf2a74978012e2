/**
 * One error base for the whole project. Every error carries a stable `code`, a `retriable` flag
 * derived from the condition, and the root `cause` when it wraps another error. Retry logic asks
 * only {@link isRetriable}.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SOURCE_UNAVAILABLE'
  | 'SOURCE_QUERY_FAILED'
  | 'TARGET_UNAVAILABLE'
  | 'TARGET_HTTP'
  | 'TARGET_REJECTED'
  | 'TARGET_AUTH'
  | 'CAPACITY_EXCEEDED'
  | 'DEDUP_PREDICTED'
  | 'CHECKPOINT_INVALID'
  | 'BUNDLE_NOT_EMPTY'
  | 'RUN_LOCKED'
  | 'MODEL_LOAD_FAILED'
  | 'EMBEDDING_SERVER'
  | 'BUNDLE_INVALID'
  | 'DLQ_IO'
  | 'ABORTED'
  | 'INTERNAL';

export interface MigrateErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  details?: Record<string, unknown>;
}

export class MigrateError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: MigrateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }
}

/** A config file, flag or environment variable is invalid. `path` names the option, e.g. `target.rate`. */
export class ConfigError extends MigrateError {
  readonly path: string;
  constructor(path: string, message: string, options: MigrateErrorOptions = {}) {
    super('CONFIG_INVALID', path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
}

/** Neo4j could not be reached or a query failed. Connection failures are retriable. */
export class SourceError extends MigrateError {
  constructor(code: 'SOURCE_UNAVAILABLE' | 'SOURCE_QUERY_FAILED', message: string, options: MigrateErrorOptions = {}) {
    super(code, message, { retriable: code === 'SOURCE_UNAVAILABLE', ...options });
  }
}

/**
 * A target write failed. 5xx, 408, 429, 503 with Retry-After and connection errors are retriable;
 * 4xx validation errors are not (the record goes to the reject log).
 */
export class TargetError extends MigrateError {
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly targetCode: string | null;

  constructor(
    code: 'TARGET_UNAVAILABLE' | 'TARGET_HTTP' | 'TARGET_REJECTED' | 'TARGET_AUTH',
    message: string,
    options: MigrateErrorOptions & { status?: number | null; retryAfterMs?: number | null; targetCode?: string | null } = {},
  ) {
    const status = options.status ?? null;
    const retriable = options.retriable ?? (code === 'TARGET_UNAVAILABLE' || (status !== null && (status >= 500 || status === 429)));
    super(code, message, { ...options, retriable });
    this.status = status;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.targetCode = options.targetCode ?? null;
  }
}

/**
 * A remote embedding server (model.provider: openai) failed or answered something unusable. 5xx, 408
 * and 429 (with Retry-After) are retriable; auth errors, other 4xx, malformed bodies and vectors of the
 * wrong width are not. Messages name the server and the model.
 */
export class EmbeddingServerError extends MigrateError {
  readonly status: number | null;
  readonly retryAfterMs: number | null;

  constructor(message: string, options: MigrateErrorOptions & { status?: number | null; retryAfterMs?: number | null } = {}) {
    const status = options.status ?? null;
    super('EMBEDDING_SERVER', message, {
      ...options,
      retriable: options.retriable ?? (status !== null && (status >= 500 || status === 429 || status === 408)),
    });
    this.status = status;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** A planned write would push a memory space past the target's capacity. */
export class CapacityError extends MigrateError {
  constructor(message: string, details: Record<string, unknown>) {
    super('CAPACITY_EXCEEDED', message, { details });
  }
}

/** Another live process holds the run directory or bundle (exit 8, like a checkpoint conflict). */
export class RunLockedError extends MigrateError {
  constructor(message: string, details: Record<string, unknown>) {
    super('RUN_LOCKED', message, { details });
  }
}

export class AbortError extends MigrateError {
  constructor(message = 'operation aborted', options: MigrateErrorOptions = {}) {
    super('ABORTED', message, options);
  }
}

/** Node.js socket error codes that mean "the connection broke, try again". */
const RETRIABLE_SYSCALL_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The one question retry logic asks. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof MigrateError) return err.retriable;
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && RETRIABLE_SYSCALL_CODES.has(code)) return true;
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== err) return isRetriable(cause);
  }
  return false;
}

/** Codes of a connection that was never made: a request that failed with one never reached the server. */
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Whether a failed write may still be applied by the server later: it was (or may have been) sent and
 * never answered (a timeout, a connection broken after sending). A server can apply such a request after
 * its client gave up, even after a later write of the same record (measured against the Engram double:
 * a write aborted after 2 s landed over the next version of its key, written and read back after it).
 * Not for an answered request (any HTTP status, or a read-back that found another version) or a
 * connection that was never made; unknown errors count as able to land.
 */
export function mayStillLand(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TargetError && (e.status !== null || e.code === 'TARGET_REJECTED' || e.code === 'TARGET_AUTH')) return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_CONNECTED_CODES.has(code)) return false;
  }
  return true;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
