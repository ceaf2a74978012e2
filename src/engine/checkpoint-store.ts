import { readFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MigrateError } from '../errors.js';
import { writeFileDurably } from '../shared/durable-file.js';
import type { TargetState } from '../target/target.js';

export const CHECKPOINT_VERSION = 2;

/**
 * One reader's node-id range (after, upper] of a label, or the run's relationship-id range: `after`
 * advances with each acknowledged page; `span` is how many ids the next page seeks (it adapts to how
 * densely the label fills the id space).
 */
export interface RangeProgress {
  after: number;
  upper: number;
  span: number;
  done: boolean;
}

export interface LabelProgress {
  /** Node-id ranges of the label, fixed when the label starts; one per reader. */
  ranges: RangeProgress[] | null;
  nodesDone: boolean;
  /** Set once the label's first page has been checked for a key that no node has. */
  keyChecked: boolean;
}

export interface RunCounters {
  nodesRead: number;
  memoriesWritten: number;
  nodesRejected: number;
  embeddingsCopied: number;
  embeddingsGenerated: number;
  /** Of `embeddingsGenerated`, those that replaced a stored embedding of another width (mapping.onWrongWidth). */
  embeddingsRegeneratedWrongWidth?: number;
  relationshipsRead: number;
  edgesWritten: number;
  relationshipsRejected: number;
  /** Nodes without a timestamp property that got the run's start time. */
  timestampsDefaulted: number;
  /** Nodes the live dual writer wrote between the backfill's read and its check after the write (engine.liveStampProperty). */
  liveRaced?: number;
  /** Rewrites of raced nodes at their current version that landed (a node may be rewritten in several rounds). */
  liveRewritten?: number;
}

/** Everything needed to resume a backfill exactly where its last acknowledged batch ended. */
export interface Checkpoint {
  version: number;
  runId: string;
  /** Hash of the options that decide what gets written; resuming with other options is refused. */
  configHash: string;
  startedAt: string;
  updatedAt: string;
  /** The run's notion of "now" for nodes without a timestamp, kept so a resumed run writes the same bytes. */
  now: string;
  labels: Record<string, LabelProgress>;
  /** The relationship phase: one pass over relationship ids; null until it starts. */
  edges: RangeProgress | null;
  counters: RunCounters;
  /** Label → shard count of every sharded label (src/mapping/shard.ts); a resume must keep this layout. */
  shards?: Record<string, number>;
  /** Memories each space held before the run began (capacity planning). */
  existingAtStart: Record<string, number>;
  targetState: TargetState;
  rejectLogLength: number;
  edgeSidecarLength: number;
  /** Durable length of the run's dedup map (src/dedup/dedup-map.ts); absent before it existed. */
  dedupMapLength?: number;
  done: boolean;
}

export function emptyCounters(): RunCounters {
  return {
    nodesRead: 0,
    memoriesWritten: 0,
    nodesRejected: 0,
    embeddingsCopied: 0,
    embeddingsGenerated: 0,
    embeddingsRegeneratedWrongWidth: 0,
    relationshipsRead: 0,
    edgesWritten: 0,
    relationshipsRejected: 0,
    timestampsDefaulted: 0,
    liveRaced: 0,
    liveRewritten: 0,
  };
}

/**
 * The checkpoint file of a run directory. `save` is atomic and durable (write to a temporary file,
 * fsync, rename, fsync the directory), so a kill -9 at any instant leaves either the old or the new one.
 */
export class CheckpointStore {
  readonly path: string;

  constructor(runDir: string) {
    this.path = join(runDir, 'checkpoint.json');
  }

  async load(): Promise<Checkpoint | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let value: Checkpoint;
    try {
      value = JSON.parse(text) as Checkpoint;
    } catch (cause) {
      throw new MigrateError('CHECKPOINT_INVALID', `checkpoint ${this.path} is not valid JSON`, { cause });
    }
    if (value.version !== CHECKPOINT_VERSION) {
      throw new MigrateError(
        'CHECKPOINT_INVALID',
        `checkpoint ${this.path} has version ${value.version}; this engram-migrate writes version ${CHECKPOINT_VERSION}`,
      );
    }
    return value;
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    checkpoint.updatedAt = new Date().toISOString();
    await mkdir(dirname(this.path), { recursive: true });
    await writeFileDurably(this.path, JSON.stringify(checkpoint));
  }
}
