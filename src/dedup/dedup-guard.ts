/**
 * The backfill's dedup guard: before a batch is written, each of its memories goes through the predictor
 * of its space (or shard) in the batch's order, so the run knows which writes the target will drop as
 * near-duplicates. `record` appends them to the run's dedup map and goes on; `refuse` stops the run
 * before the batch is written (with `--preflight`, before anything is written).
 */
import { MigrateError } from '../errors.js';
import type { NdjsonAppender } from '../shared/ndjson-appender.js';
import { dedupMapLine, type DedupMapEntry } from './dedup-map.js';
import { LocalDedupBackend, type DedupBackend } from './dedup-backend.js';

/** What a run does about predicted near-duplicate drops. */
export type OnDedup = 'off' | 'record' | 'refuse';

/** The run's mode: `target.onDedup`, else `record` for an Engram target and `off` for a bundle. */
export function dedupMode(target: { kind: string; onDedup?: OnDedup | undefined }): OnDedup {
  return target.onDedup ?? (target.kind === 'engram' ? 'record' : 'off');
}

/** Examples kept for the report. */
const EXAMPLES = 10;

export interface DedupSpaceSummary {
  space: string;
  /** Memories run through the predictor. */
  checked: number;
  /** Of those, predicted to be dropped (skipped, or replaced by a later write). */
  dropped: number;
}

/** The preflight's (or the run's) findings; in the backfill summary and its JSON. */
export interface DedupSummary {
  mode: OnDedup;
  checked: number;
  dropped: number;
  bySpace: DedupSpaceSummary[];
  /** The first drops found: id, survivor, cosine. */
  examples: DedupMapEntry[];
  /** The dedup map written (null: a dry run or a preflight pass, which write nothing). */
  mapFile: string | null;
  notes: string[];
}

export interface DedupGuardOptions {
  mode: Exclude<OnDedup, 'off'>;
  /** The confidence every memory of the run is written with (mapping.strength). */
  confidence: number;
  /** Where the map goes; null in a dry run. */
  map: NdjsonAppender | null;
  /** Where predictions run (default: on the calling thread); the guard closes it. */
  backend?: DedupBackend;
  /** A resumed run: memories written before it are not in the predictor. */
  resumed?: boolean;
}

export class DedupGuard {
  readonly #options: DedupGuardOptions;
  readonly #backend: DedupBackend;
  readonly #bySpace = new Map<string, DedupSpaceSummary>();
  readonly #examples: DedupMapEntry[] = [];
  #checked = 0;
  #dropped = 0;

  constructor(options: DedupGuardOptions) {
    this.#options = options;
    this.#backend = options.backend ?? new LocalDedupBackend();
  }

  /**
   * Predicts the writes of one batch in order (memory i: `ids[i]` into `spaces[i]`, embedding row `rows[i]`
   * of `embeddings`) and records the drops. In `refuse` mode a batch with a drop throws DEDUP_PREDICTED.
   */
  async check(label: string, ids: readonly string[], spaces: readonly string[], rows: Uint32Array, embeddings: Float32Array): Promise<DedupMapEntry[]> {
    const found: DedupMapEntry[] = [];
    const outcomes = await this.#backend.predict({ ids, spaces, rows, embeddings, confidence: this.#options.confidence });
    for (let i = 0; i < ids.length; i++) {
      const space = spaces[i]!;
      const outcome = outcomes[i]!;
      const stats = this.#space(space);
      stats.checked++;
      this.#checked++;
      if (outcome.kind === 'dropped') found.push({ space, id: ids[i]!, survivor: outcome.survivor, cosine: outcome.cosine, label, reason: 'skipped' });
      else if (outcome.kind === 'replaces') found.push({ space, id: outcome.replaced, survivor: ids[i]!, cosine: outcome.cosine, label, reason: 'replaced' });
    }
    for (const e of found) {
      this.#space(e.space).dropped++;
      this.#dropped++;
      if (this.#examples.length < EXAMPLES) this.#examples.push(e);
    }
    if (found.length > 0 && this.#options.mode === 'refuse') {
      const e = found[0]!;
      throw new MigrateError(
        'DEDUP_PREDICTED',
        `the target would drop ${found.length} memor${found.length === 1 ? 'y' : 'ies'} of label ${label} as near-duplicates (cosine ≥ 0.95), e.g. ${e.id} in space ${e.space} for ${e.survivor} (cosine ${e.cosine.toFixed(4)}); nothing of this batch was written. Make the embeddings distinct (mapping.textProperties) or run with --on-dedup record`,
        { details: { dropped: found.length, examples: found.slice(0, EXAMPLES) } },
      );
    }
    if (this.#options.map && found.length > 0) await this.#options.map.append(found.map(dedupMapLine).join(''));
    return found;
  }

  /** Frees the matrices of spaces no later label writes to. */
  release(spaces: Iterable<string>): void {
    this.#backend.release(spaces);
  }

  /** Must a batch wait for its prediction before it is written? */
  get refuses(): boolean {
    return this.#options.mode === 'refuse';
  }

  /** Makes the map durable; its length goes into the checkpoint. */
  async sync(): Promise<number> {
    return this.#options.map ? await this.#options.map.sync() : 0;
  }

  async close(): Promise<void> {
    await this.#backend.close();
    await this.#options.map?.close();
  }

  summary(): DedupSummary {
    const notes: string[] = [];
    if (this.#options.resumed) notes.push('resumed run: memories written before the resume are not in the predictor, so drops against them are not predicted');
    return {
      mode: this.#options.mode,
      checked: this.#checked,
      dropped: this.#dropped,
      bySpace: [...this.#bySpace.values()].sort((a, b) => (a.space < b.space ? -1 : a.space > b.space ? 1 : 0)),
      examples: [...this.#examples],
      mapFile: this.#options.map?.path ?? null,
      notes,
    };
  }

  #space(space: string): DedupSpaceSummary {
    let s = this.#bySpace.get(space);
    if (s === undefined) {
      s = { space, checked: 0, dropped: 0 };
      this.#bySpace.set(space, s);
    }
    return s;
  }
}
