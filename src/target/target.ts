import type { MemoryEncoding } from '../mapping/memory-encoding.js';
import type { RejectRecord } from '../mapping/types.js';

/** The run's write limits as a target sees them. */
export interface WriteGate {
  /** Runs `job` once the token bucket has `weight` tokens (one per record the job writes). */
  schedule<T>(weight: number, job: () => Promise<T>): Promise<T>;
  /** Requests a target may have in flight at once; 0 = its own default. Read per batch, so it can change live. */
  readonly concurrency: number;
  /**
   * True while a rate applies (jobs wait for tokens): targets then schedule chunks of records, since the
   * bucket admits only a few hundred jobs a second. Otherwise (or absent) one record per job, so that
   * concurrent requests leave in the batch's order.
   */
  readonly rated?: boolean;
}

/** Memories of one batch, already encoded by a worker: item i is `bytes[offsets[i]..offsets[i+1])`. */
export interface EncodedMemoryBatch {
  ids: string[];
  spaces: string[];
  bytes: Uint8Array;
  offsets: Uint32Array;
}

export interface MemoryWriteResult {
  written: number;
  /** Records the target refused for their content (4xx); they go to the reject log, the run goes on. */
  rejects: RejectRecord[];
}

export interface TargetCapabilities {
  /** Can the target hold edges? Engram cannot (no edge API); its edges go to the run's sidecar. */
  edges: boolean;
  /** Does the target silently drop near-duplicate embeddings? */
  dedup: boolean;
  /** Memories a space holds before the target evicts; null = unbounded. */
  capacityPerSpace: number | null;
  /**
   * May `state()` be checkpointed while the next batch is being written? True when the state does not
   * depend on what is in flight (Engram keeps none); false for the bundle, whose state is its file
   * lengths: a length taken mid-append would resume into the middle of a line.
   */
  checkpointDuringWrites: boolean;
}

/** What a target needs in a checkpoint to resume exactly (bundle: durable file lengths). */
export type TargetState = Record<string, number>;

/**
 * Where memories go. Implementations: the bundle directory (default) and Engram over HTTP.
 * The engine calls `open`, then `writeMemories`/`writeEdges` batch by batch, `state()` after each
 * acknowledged batch (into the checkpoint), and `finish` once at the end.
 */
export interface Target {
  readonly kind: 'bundle' | 'engram';
  readonly encoding: MemoryEncoding;
  readonly capabilities: TargetCapabilities;
  /** A human-readable location (directory or URL). */
  readonly location: string;
  /** Opens for writing; with a state from a checkpoint, rewinds to it so nothing is written twice. */
  open(state: TargetState | null): Promise<void>;
  /**
   * Writes a batch. `onAllSent` (optional; a target may never call it) is called once every record of
   * the batch is on its way: a caller may then start the next batch, whose requests share the target's
   * `concurrency` with this one's last, so the target is not left idle at the batch's tail.
   */
  writeMemories(batch: EncodedMemoryBatch, gate: WriteGate, signal?: AbortSignal, onAllSent?: () => void): Promise<MemoryWriteResult>;
  /**
   * Writes each memory as an update that must land over whatever the target holds under its id, proved
   * by reading it back (Engram: the confidence ladder of the live adapter). Targets without it cannot
   * take the race-safe backfill's rewrites. Rejects carry the reason; `retry` lists the ids whose
   * update did not land this time but may on another attempt.
   */
  rewriteMemories?(batch: EncodedMemoryBatch, signal?: AbortSignal): Promise<MemoryWriteResult & { retry: Map<string, string> }>;
  /** Only when `capabilities.edges`; lines are NDJSON, each ending in a newline. */
  writeEdges(lines: Uint8Array, count: number): Promise<void>;
  /** Makes everything written so far durable and returns the state to checkpoint. */
  state(): Promise<TargetState>;
  /**
   * Memories held per space right now (for capacity planning and validation). With `loadedOnly` (a dry
   * run), a target that creates a space by being asked about it leaves out the spaces it has not loaded
   * rather than create them.
   */
  spaceCounts(spaces: readonly string[], loadedOnly?: boolean): Promise<Map<string, number>>;
  /** Completes the target (the bundle writes its manifest). */
  finish(info: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}
