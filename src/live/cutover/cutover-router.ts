import type {
  ActivationQuery,
  ActivationResult,
  EdgeWriteResult,
  GraphDatabase,
  LiveEdge,
  LiveMemory,
  StoreCapabilities,
  StoredLiveMemory,
} from '../graph-database.js';
import { checkPercent, type CutoverPhase, type CutoverState } from './cutover-state.js';
import { FileCutoverStore, type CutoverStateStore } from './cutover-store.js';
import { ErrorWindow, type ErrorWindowStats } from './error-window.js';
import type { LiveMetrics } from '../live-metrics.js';

export interface CutoverRouterOptions {
  /** The store being left (Neo4j). */
  oldStore: GraphDatabase;
  /** The store being cut over to (Engram). */
  newStore: GraphDatabase;
  /** Where writes go (default `oldStore`; typically the DualWriteCoordinator). */
  writes?: GraphDatabase;
  /**
   * Where writes go once Engram is promoted (`engram-migrate cutover promote`): the reverse dual writer,
   * `DualWriteCoordinator({ primary: engram, secondary: neo4j, dlq: <its own queue> })`, so Neo4j stays
   * current and `cutover demote` loses nothing. Without it a promoted router keeps writing through
   * `writes` (Neo4j first) and reports it once through `onStateError`.
   */
  reverseWrites?: GraphDatabase | null;
  /** Share of reads to the new store when there is no state file (default 0). */
  percent?: number;
  /**
   * The persisted lever, applied at start and watched, so `engram-migrate cutover set` reaches the
   * router: a {@link CutoverStateStore} (the primary Neo4j for a fleet: `Neo4jCutoverStore`), or
   * `stateFile` for a local file (one process or one host).
   */
  store?: CutoverStateStore | null;
  stateFile?: string | null;
  /** How often the state is checked (default 200 ms). */
  pollMs?: number;
  /**
   * Route by a hash of `query.routingKey` (a user sees one store consistently while the share holds);
   * reads without a key are routed at random. Default false: every read at random.
   */
  sticky?: boolean;
  metrics?: LiveMetrics | null;
  random?: () => number;
  now?: () => number;
  /** Called whenever the percentage changes (state file, schedule or a direct set). */
  onChange?: (percent: number, state: CutoverState | null) => void;
  /**
   * Told when the persisted state cannot be read or applied (a hand-edited file with a share outside
   * 0-100, garbage); the router keeps its last good state (at start: `percent`). Default: a warning on stderr.
   */
  onStateError?: (err: unknown) => void;
}

/** A key's bucket in [0, 10000): FNV-1a over the UTF-16 code units, then murmur3's finaliser to spread the bits. */
export function keyBucket(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % 10_000;
}

/**
 * The article's gradual cutover router: `percent` of reads go to the new store, the rest to the old one;
 * a read that fails on its store is served by the other (fallback). The percentage comes from a state file
 * watched while the router runs (the manual lever and the schedule write it), so a rollback to 0 reaches a
 * running service within a second and survives a restart. Errors of the new store are counted per second
 * for the schedule runner's automatic rollback.
 */
export class CutoverRouter implements GraphDatabase {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** Requests and errors of reads routed to the new store (before fallback). */
  readonly newStoreErrors: ErrorWindow;
  readonly #o: CutoverRouterOptions;
  #percent: number;
  #state: CutoverState | null = null;
  #unwatch: (() => void) | null = null;
  #stateError: unknown = null;
  #warnedNoReverse = false;

  constructor(options: CutoverRouterOptions) {
    this.#o = options;
    this.name = `router(${options.oldStore.name}→${options.newStore.name})`;
    this.capabilities = options.oldStore.capabilities;
    this.#percent = checkPercent(options.percent ?? 0, 'percent');
    this.newStoreErrors = new ErrorWindow(3_600_000, options.now);
    options.metrics?.cutoverPercent.set(this.#percent);
  }

  /** Loads (or creates) the persisted state and starts watching it. */
  async start(): Promise<void> {
    const store = this.#o.store ?? (this.#o.stateFile ? new FileCutoverStore(this.#o.stateFile) : null);
    if (store === null) return;
    let state = await store.read().catch((err: unknown) => {
      this.#reportStateError(err); // a bad state must not keep the service down: start at the configured share
      return undefined;
    });
    if (state === null) {
      // the first router creates it; one that lost the race to another gets that one's state
      const percent = this.#percent;
      state = await store.update((c) => (c.revision === 0 ? { ...c, percent, source: 'init', reason: null, schedule: null } : null));
    }
    if (state !== undefined) this.applyState(state);
    this.#unwatch = store.watch(
      (s) => this.applyState(s),
      (err) => this.#reportStateError(err),
      this.#o.pollMs ?? 200,
    );
  }

  #reportStateError(err: unknown): void {
    this.#stateError = err;
    this.#o.metrics?.survivedErrors.inc({ component: 'cutover-state' });
    if (this.#o.onStateError) this.#o.onStateError(err);
    else process.emitWarning(`cutover state ignored, keeping ${this.#percent}%: ${err instanceof Error ? err.message : String(err)}`, 'CutoverStateWarning');
  }

  /** The last state that could not be read or applied (null once a good one arrived). */
  get stateError(): unknown {
    return this.#stateError;
  }

  get percent(): number {
    return this.#percent;
  }

  get state(): CutoverState | null {
    return this.#state;
  }

  /**
   * Applies a state (from the file or the schedule runner). The file is the truth, whatever its revision:
   * a state file deleted and written again by `cutover set 0` starts from revision 1 and must still win.
   */
  applyState(state: CutoverState): void {
    checkPercent(state.percent, 'cutover state percent'); // before anything changes: a bad state leaves the last good one
    this.#state = state;
    this.#stateError = null;
    this.setPercent(state.percent);
  }

  /** Sets the share in this process only (not persisted; the state file wins at its next change). */
  setPercent(percent: number): void {
    const changed = checkPercent(percent) !== this.#percent;
    this.#percent = percent;
    this.#o.metrics?.cutoverPercent.set(percent);
    if (changed) this.#o.onChange?.(percent, this.#state);
  }

  /** Phase 5's step from the state: `cutover` (Neo4j primary), `promoted` (Engram primary, reverse dual write), `retired` (Engram only). */
  get phase(): CutoverPhase {
    return this.#state?.phase ?? 'cutover';
  }

  /** Where a write goes in the current phase. */
  #writer(): GraphDatabase {
    const forward = this.#o.writes ?? this.#o.oldStore;
    const phase = this.phase;
    if (phase === 'retired') return this.#o.newStore;
    if (phase === 'cutover') return forward;
    if (this.#o.reverseWrites) return this.#o.reverseWrites;
    if (!this.#warnedNoReverse) {
      this.#warnedNoReverse = true;
      this.#reportStateError(new Error('cutover promoted but the router has no reverseWrites: writes stay on the forward dual writer'));
    }
    return forward;
  }

  /** Which store a read goes to. */
  route(routingKey?: string): 'old' | 'new' {
    if (this.phase !== 'cutover') return 'new'; // promoted or retired: Engram serves every read
    if (this.#percent <= 0) return 'old';
    if (this.#percent >= 100) return 'new';
    if (this.#o.sticky && routingKey !== undefined) return keyBucket(routingKey) < this.#percent * 100 ? 'new' : 'old';
    return (this.#o.random ?? Math.random)() * 100 < this.#percent ? 'new' : 'old';
  }

  async activate(query: ActivationQuery, signal?: AbortSignal): Promise<ActivationResult> {
    const target = this.route(query.routingKey);
    const [selected, fallback] = target === 'new' ? [this.#o.newStore, this.#o.oldStore] : [this.#o.oldStore, this.#o.newStore];
    const metrics = this.#o.metrics;
    metrics?.routed.inc({ store: selected.name });
    const t0 = performance.now();
    try {
      const result = await selected.activate(query, signal);
      metrics?.readSeconds.observe({ store: selected.name, role: 'served' }, (performance.now() - t0) / 1000);
      if (target === 'new') this.newStoreErrors.record(false);
      return result;
    } catch (err) {
      if (target === 'new') this.newStoreErrors.record(true);
      metrics?.routeErrors.inc({ store: selected.name });
      metrics?.fallbacks.inc({ from: selected.name });
      if (signal?.aborted) throw err;
      const t1 = performance.now();
      const result = await fallback.activate(query, signal);
      metrics?.readSeconds.observe({ store: fallback.name, role: 'fallback' }, (performance.now() - t1) / 1000);
      return result;
    }
  }

  /** Requests and errors of the new store over the trailing window. */
  errorStats(windowMs: number): ErrorWindowStats {
    return this.newStoreErrors.stats(windowMs);
  }

  createMemory(memory: LiveMemory, signal?: AbortSignal): Promise<void> {
    return this.#writer().createMemory(memory, signal);
  }

  createEdge(edge: LiveEdge, signal?: AbortSignal): Promise<EdgeWriteResult> {
    return this.#writer().createEdge(edge, signal);
  }

  /** Reads by id follow the same routing as activation (sticky by id when sticky). */
  getMemory(space: string, id: string, signal?: AbortSignal): Promise<StoredLiveMemory | null> {
    const store = this.route(id) === 'new' ? this.#o.newStore : this.#o.oldStore;
    return store.getMemory(space, id, signal);
  }

  /** Stops watching the state file; the stores stay open (they are the caller's). */
  async close(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = null;
  }
}
