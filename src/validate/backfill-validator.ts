import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.js';
import { errorMessage } from '../errors.js';
import type { CommittedBatch } from '../engine/run-context.js';
import { WorkerPool } from '../engine/worker-pool.js';
import { sharedFloat32 } from '../shared/shared-memory.js';
import { EMBEDDING_DIM } from '../mapping/types.js';
import { createSampleReader } from './create-sample-reader.js';
import { poolCosine } from './pool-vectors.js';
import { readCheckpoint, readRejectIndex, rejectKey } from './reject-index.js';
import { storeReport, type StoredReport } from './report-store.js';
import { ReservoirSampler } from './selection-sampler.js';
import { ABSENT, PRESENT, TargetSample, type SampleTargetReader } from './target-sample.js';
import { resolveThresholds } from './validate.js';
import {
  DEDUP_COSINE,
  emptyCounters,
  evaluateChecks,
  REPORT_FORMAT,
  REPORT_VERSION,
  reportPassed,
  type SpaceCount,
  type ValidationFault,
  type ValidationReport,
  type ValidationThresholds,
} from './validation-report.js';

const D = EMBEDDING_DIM;

export interface BackfillValidatorOptions {
  config: ResolvedConfig;
  /** Validate after every this many memories written. */
  every: number;
  /** Memories sampled per window (default config validate.sampleSize). */
  sampleSize?: number;
  seed?: number;
  thresholds?: Partial<ValidationThresholds>;
  /** Default: the config's target, read windowed (bundle: appended lines; Engram: by id). */
  reader?: SampleTargetReader;
  /** Write each report under `<runDir>/validate/` (default true). */
  store?: boolean;
  onReport?: (report: ValidationReport, stored: StoredReport | null) => void;
  /** A window could not be checked (target unreachable...): the backfill goes on; see `errors`. */
  onError?: (err: unknown) => void;
}

interface Entry {
  id: string;
  space: string;
  label: string;
}

/**
 * Validation during a backfill (`backfill --validate-every N`), fed by the engine's `onBatchCommitted`
 * hook. It keeps a seeded reservoir sample of the memories acknowledged since the last check, with the
 * embeddings exactly as the engine sent them; after every N memories it reads those memories back and
 * checks presence (explaining absences: target dedup, eviction, missing), the stored embedding by
 * cosine in a one-worker pool (bundle; Engram returns no embedding by id, so there it is counted as
 * unread), and each space's growth against the writes. Content and edges are left to `validate` after
 * the run (edges are written after the nodes). The backfill waits while a window is checked.
 */
export class BackfillValidator {
  readonly reports: ValidationReport[] = [];
  /** Windows that could not be checked, and why. */
  readonly errors: string[] = [];
  readonly #options: BackfillValidatorOptions;
  readonly #thresholds: ValidationThresholds;
  readonly #reader: SampleTargetReader;
  readonly #reservoir: ReservoirSampler;
  readonly #entries: Entry[] = [];
  readonly #vectors: Float32Array;
  readonly #written = new Map<string, number>();
  #baseline: Map<string, number> | null = null;
  #rejectsFrom = 0;
  /** Label → shard count of the run (from its checkpoint): reject attribution per shard. */
  #shards: Readonly<Record<string, number>> = {};
  /** Refusals of the first batch: in the log before `#rejectsFrom`, yet part of the first window. */
  readonly #refusedEarly = new Set<string>();
  #nextAt = 0;
  #windows = 0;
  #pool: WorkerPool | null = null;

  constructor(options: BackfillValidatorOptions) {
    if (!Number.isInteger(options.every) || options.every < 1) throw new RangeError(`every must be a whole number ≥ 1, got ${options.every}`);
    this.#options = options;
    this.#thresholds = resolveThresholds(options.config, options.thresholds);
    this.#reader = options.reader ?? createSampleReader(options.config, { windowed: true });
    const size = options.sampleSize ?? options.config.validate.sampleSize;
    this.#reservoir = new ReservoirSampler(size, options.seed ?? options.config.validate.seed);
    this.#vectors = sharedFloat32(size * D);
  }

  /** The `onBatchCommitted` hook. Never throws: a window that cannot be checked must not stop the backfill. */
  async onBatch(batch: CommittedBatch): Promise<void> {
    try {
      await this.#onBatch(batch);
    } catch (err) {
      this.errors.push(errorMessage(err));
      this.#options.onError?.(err);
    }
  }

  async #onBatch(batch: CommittedBatch): Promise<void> {
    if (this.#baseline === null) await this.#start(batch);
    batch.ids.forEach((id, i) => {
      const space = batch.spaces[i]!;
      this.#written.set(space, (this.#written.get(space) ?? 0) + 1);
      const slot = this.#reservoir.offer();
      if (slot < 0) return;
      this.#entries[slot] = { id, space, label: batch.label };
      this.#vectors.set(batch.embeddings.subarray(batch.rows[i]! * D, (batch.rows[i]! + 1) * D), slot * D);
    });
    if (batch.memoriesWritten >= this.#nextAt) {
      while (this.#nextAt <= batch.memoriesWritten) this.#nextAt += this.#options.every;
      await this.#check();
    }
  }

  /** Checks the last, partial window (if any memory was written since the last check) and releases resources. */
  async finish(): Promise<void> {
    try {
      if (this.#reservoir.seen > 0 && this.#baseline !== null) await this.#check();
    } catch (err) {
      this.errors.push(errorMessage(err));
      this.#options.onError?.(err);
    } finally {
      await this.#pool?.close();
      await this.#reader.close();
    }
  }

  /**
   * The counts the first window grows from: the target's counts now less every memory of the first batch
   * (those the target refused were never stored, so the counts already lack them: no adjustment).
   * Refusals of later batches are read from the reject log from here on.
   */
  async #start(first: CommittedBatch): Promise<void> {
    const { config } = this.#options;
    // The batch spaces are shards: refusals are counted per shard too (the checkpoint holds the layout by now).
    this.#shards = (await readCheckpoint(config))?.shards ?? {};
    const log = await readRejectIndex(join(config.runDir, 'rejects.ndjson'), config.mapping, { code: 'TARGET_REJECTED', shards: this.#shards });
    this.#baseline = await this.#reader.countSpaces([...new Set(first.spaces)]);
    for (const space of first.spaces) this.#baseline.set(space, (this.#baseline.get(space) ?? 0) - 1);
    this.#rejectsFrom = log.endOffset;
    for (const id of first.ids) if (log.keys.has(rejectKey(first.label, id))) this.#refusedEarly.add(rejectKey(first.label, id));
    this.#nextAt = first.memoriesWritten - first.ids.length + this.#options.every;
  }

  async #check(): Promise<void> {
    const startedAt = new Date();
    const entries = this.#entries.slice(0, this.#reservoir.size);
    const spaces = [...new Set([...this.#written.keys(), ...this.#baseline!.keys()])];
    const target = new TargetSample(entries);
    await this.#reader.read(target, spaces);
    const rejects = await readRejectIndex(join(this.#options.config.runDir, 'rejects.ndjson'), this.#options.config.mapping, {
      from: this.#rejectsFrom,
      code: 'TARGET_REJECTED',
      shards: this.#shards,
    });
    this.#rejectsFrom = rejects.endOffset;
    for (const key of this.#refusedEarly) rejects.keys.add(key);
    this.#refusedEarly.clear();
    const counters = emptyCounters();
    const faults: ValidationFault[] = [];
    counters.sampled = entries.length;
    const missing: number[] = [];
    entries.forEach((e, row) => {
      if (target.present[row] === ABSENT && rejects.keys.has(rejectKey(e.label, e.id))) return void counters.rejectedAtWrite++;
      counters.expected++;
      if (target.present[row] === ABSENT) return void missing.push(row);
      counters.present++;
      if (target.present[row] !== PRESENT) counters.embeddingUnread++;
    });
    await this.#compare(entries, target, counters, faults);
    await this.#explain(entries, target, missing, counters, faults);
    const spaceCounts = this.#spaceCounts(spaces, target, rejects.bySpace);
    const checks = evaluateChecks(counters, spaceCounts, this.#thresholds, { edges: false, inFlight: true });
    const report = this.#report(startedAt, entries.length, counters, checks, spaceCounts, faults);
    this.#windows++;
    this.#entries.length = 0;
    this.#reservoir.reset();
    this.#written.clear();
    for (const s of spaceCounts) this.#baseline!.set(s.space, s.target);
    this.reports.push(report);
    const stored = this.#options.store === false ? null : await storeReport(this.#options.config.runDir, report);
    this.#options.onReport?.(report, stored);
  }

  async #compare(entries: Entry[], target: TargetSample, counters: ValidationReport['counters'], faults: ValidationFault[]): Promise<void> {
    const rows = entries.map((_, row) => row).filter((row) => target.present[row] === PRESENT);
    if (rows.length === 0) return;
    this.#pool ??= new WorkerPool({ workers: 1, inferenceThreads: 1 }, null);
    const out = sharedFloat32(entries.length);
    await poolCosine(this.#pool, this.#vectors, target.vectors, entries.length, out);
    for (const row of rows) {
      counters.embeddingChecked++;
      if (out[row]! >= this.#thresholds.minCosine) continue;
      counters.embeddingMismatch++;
      const e = entries[row]!;
      faults.push({
        kind: 'embedding-mismatch',
        label: e.label,
        space: e.space,
        id: e.id,
        cosine: out[row]!,
        detail: `cosine ${out[row]!.toFixed(6)} < ${this.#thresholds.minCosine} between the embedding sent and the one stored`,
      });
    }
  }

  async #explain(entries: Entry[], target: TargetSample, rows: number[], counters: ValidationReport['counters'], faults: ValidationFault[]): Promise<void> {
    const capacity = this.#reader.capacityPerSpace;
    for (const row of rows) {
      const e = entries[row]!;
      const base = { label: e.label, space: e.space, id: e.id };
      const near = this.#reader.dedup ? await this.#reader.nearest(e.space, this.#vectors.slice(row * D, (row + 1) * D), e.id) : null;
      if (near && near.cosine >= DEDUP_COSINE) {
        counters.lostToDedup++;
        faults.push({
          ...base,
          kind: 'lost-to-dedup',
          duplicateOf: near.id,
          cosine: near.cosine,
          detail: `near-duplicate (cosine ${near.cosine.toFixed(4)}) of ${near.id}, which the target kept instead`,
        });
      } else if (capacity !== null && (target.spaceCounts.get(e.space) ?? 0) >= capacity) {
        counters.lostToEviction++;
        faults.push({ ...base, kind: 'lost-to-eviction', detail: `space ${e.space} is at its capacity of ${capacity}` });
      } else {
        counters.missing++;
        faults.push({ ...base, kind: 'missing', detail: `acknowledged by the target but not in space ${e.space}` });
      }
    }
  }

  /** Per space: growth of the target since the last check against the acknowledged writes of this window. */
  #spaceCounts(spaces: string[], target: TargetSample, rejected: Map<string, number>): SpaceCount[] {
    const capacity = this.#reader.capacityPerSpace;
    return spaces.map((space) => {
      const before = this.#baseline!.get(space) ?? 0;
      const refused = rejected.get(space) ?? 0;
      const expected = before + (this.#written.get(space) ?? 0) - refused;
      const held = target.spaceCounts.get(space) ?? 0;
      return {
        space,
        labels: [],
        neo4j: this.#written.get(space) ?? 0,
        rejected: refused,
        existingAtStart: before,
        expected,
        target: held,
        difference: held - expected,
        capacity,
        atCapacity: capacity !== null && held >= capacity,
        exact: true,
      };
    });
  }

  #report(
    startedAt: Date,
    sampled: number,
    counters: ValidationReport['counters'],
    checks: ValidationReport['checks'],
    spaces: SpaceCount[],
    faults: ValidationFault[],
  ): ValidationReport {
    const finishedAt = new Date();
    const faultsByKind: ValidationReport['faultsByKind'] = {};
    for (const f of faults) faultsByKind[f.kind] = (faultsByKind[f.kind] ?? 0) + 1;
    return {
      format: REPORT_FORMAT,
      version: REPORT_VERSION,
      mode: 'in-flight',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      runDir: this.#options.config.runDir,
      target: { kind: this.#reader.kind, location: this.#reader.location },
      sample: {
        seed: (this.#options.seed ?? this.#options.config.validate.seed) + this.#windows,
        requested: this.#reservoir.capacity,
        population: this.#reservoir.seen,
        sampled,
        repeatedKeys: 0,
        byLabel: {},
      },
      thresholds: this.#thresholds,
      counters,
      checks,
      spaces,
      faults: faults.slice(0, 1000),
      faultsByKind,
      rejectedByMappingByCode: {},
      timings: { checkMs: finishedAt.getTime() - startedAt.getTime() },
      notes: [
        `in-flight window ${this.#windows + 1}: ${sampled} of the ${this.#reservoir.seen} memories acknowledged since the last check (reservoir sample); embeddings compared with those the engine sent`,
        'space counts: target growth since the last check against acknowledged writes (neo4j column = writes in this window)',
        'content and edges are checked by "engram-migrate validate" after the run',
      ],
      passed: reportPassed(checks),
    };
  }
}

/** The validator `backfill --validate-every N` uses: reports stored under the run dir, one line per window to `log`. */
export function createBackfillValidator(config: ResolvedConfig, every: number, log: (line: string) => void): BackfillValidator {
  return new BackfillValidator({
    config,
    every,
    onReport: (r, stored) =>
      log(
        `validation of the last ${r.sample.population} memories ${r.passed ? 'passed' : 'FAILED'}: ${r.counters.present}/${r.counters.expected} sampled present, ${r.counters.embeddingMismatch} embedding mismatches, ${Object.values(r.faultsByKind).reduce((a, b) => a + (b ?? 0), 0)} faults (${stored?.path ?? 'not stored'})`,
      ),
    onError: (err) => log(`validation of the last window could not run: ${errorMessage(err)}`),
  });
}
