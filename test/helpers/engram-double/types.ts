/**
 * TEST DOUBLE of the Engram HTTP server (not Engram). Shared option, fault and statistics types.
 * Product code must never import anything under `test/helpers/engram-double/`.
 */

/** Width of every Engram embedding. */
export const EMBEDDING_DIM = 768;
/** Per-space memory limit of the real server. */
export const DEFAULT_CAPACITY = 100_000;
/** Cosine at or above which a write is a near-duplicate of an existing memory. */
export const DEFAULT_DEDUP_THRESHOLD = 0.95;
/** Cosine above which re-sending an existing id is skipped whatever its confidence. */
export const SAME_ID_NOOP_COSINE = 0.999;
/** axum's default body limit (2 MiB). */
export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/** Largest content the remember handler accepts, in UTF-8 bytes. */
export const MAX_CONTENT_BYTES = 100_000;
/** Largest page of `GET /api/v1/memories`. */
export const MAX_LIST_LIMIT = 1000;

/** How a running outage window rejects traffic. */
export type OutageMode = 'refuse' | 'reset' | '503';

/** Which requests faults apply to; control routes (`/__double/*`) never get faults. */
export type FaultScope = 'all' | 'writes' | 'reads';

/**
 * Faults to inject. Every field is optional; `setFaults` replaces the whole set.
 * Rates are probabilities in [0, 1]; the error rates together must not exceed 1.
 */
export interface EngramFaults {
  /** Seed for the fault PRNG (pure-rand xoroshiro128+); same seed and request order give the same faults. */
  seed?: number;
  /** Probability per HTTP status, e.g. `{500: 0.05, 503: 0.01}`. */
  errorRates?: Record<number, number>;
  /** `Retry-After` seconds sent with injected 503 and 429 answers (default 1). */
  retryAfterSeconds?: number;
  /** Fixed latency added to every faulted-scope answer, in ms. */
  latencyMs?: number;
  /** Uniform extra latency in [0, jitterMs) ms. */
  jitterMs?: number;
  /** Probability that the connection is reset (TCP RST) after the request was read. */
  resetRate?: number;
  /** An outage window that starts when the faults are set. */
  outage?: { durationMs: number; mode?: OutageMode };
  /**
   * Every faulted-scope request waits this long after it was read, before it is applied (a server's
   * request queue): a client that gives up meanwhile does not stop it, and it lands after writes that
   * came later on other connections.
   */
  queueMs?: number;
  /** Every answer takes this many times as long (handler time plus added latency); 1 = off. */
  slowdownFactor?: number;
  /** `before` (default): a faulted write is not applied. `after`: it is applied, then the fault hits. */
  faultTiming?: 'before' | 'after';
  /** Which routes the faults apply to (default `all`). */
  scope?: FaultScope;
  /** Status reported by `/health` and `/api/v1/system/health` (default `healthy`). */
  health?: 'healthy' | 'degraded' | 'unhealthy';
}

/** Options of {@link startEngramDouble}. */
export interface EngramDoubleOptions {
  /** TCP port; 0 (default) picks a free one; a busy port moves to the next free one, like Engram. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Turn auth on: each key is a full `engram_key_<keyId>_<secret>` string. */
  auth?: { keys: string[] };
  /** Memories per space before eviction (default 100,000). */
  capacity?: number;
  /** Near-duplicate cosine (default 0.95). */
  dedupThreshold?: number;
  /** Spaces at or below this many memories are deduplicated by an exact scan (default 256). */
  exactScanBelow?: number;
  /** Faults active from the start. */
  faults?: EngramFaults;
}

/** What the store did with one remember call. */
export type RememberOutcome = 'stored' | 'replaced' | 'deduplicated' | 'noop';

/** Counters of one double instance. */
export interface EngramDoubleStats {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  writes: Record<RememberOutcome | 'evicted', number>;
  injected: {
    errors: Record<string, number>;
    resets: number;
    delayed: number;
    addedLatencyMs: number;
    slowed: number;
    outageWindows: number;
    outageResets: number;
    outage503: number;
  };
}

/** A memory as the store holds it (inspection API). */
export interface StoredMemory {
  id: string;
  content: string;
  confidence: number;
  /** Milliseconds since the epoch of the memory's time (`timestamp` or the write time). */
  timestampMs: number;
  /** Activation at its write: confidence x (1 - 0.5 x fill of the space); >= 0.7 is the hot tier. */
  activation?: number;
  embedding: Float32Array;
}
