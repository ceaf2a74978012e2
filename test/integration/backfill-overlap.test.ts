/**
 * A batch's writes overlap the previous batch's finish (stamp check, reject log, checkpoint) only when the
 * target's state may be checkpointed meanwhile: never for the bundle, whose state is its file lengths (a
 * length taken mid-append would resume into the middle of a line). Also here: a label's first pages are
 * short, so its writes start early; and a batch starts beside the previous batch's last requests.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { TargetError } from '../../src/errors.js';
import { sleep } from '../../src/shared/abort.js';
import { BundleTarget } from '../../src/target/bundle-target.js';
import type { EncodedMemoryBatch, TargetCapabilities, TargetState, WriteGate } from '../../src/target/target.js';
import { driverFor, loadFixtureGraph, readBundleMemories, testConfig } from '../helpers/backfill-fixture.js';

let driver: Driver;
let nodes = 0;

beforeAll(async () => {
  driver = driverFor();
  nodes = (await loadFixtureGraph(driver, 600, 43, false)).nodes;
});

afterAll(async () => {
  await driver?.close();
});

/** A bundle whose writes take a while, counting the checkpoints taken while a write is in flight. */
class WatchedBundle extends BundleTarget {
  inFlight = 0;
  statesDuringWrites = 0;
  override readonly capabilities: TargetCapabilities;

  constructor(dir: string, checkpointDuringWrites: boolean) {
    super(dir, { overwrite: true });
    this.capabilities = { edges: true, dedup: false, capacityPerSpace: null, checkpointDuringWrites };
  }

  override async writeMemories(batch: EncodedMemoryBatch, gate: WriteGate) {
    this.inFlight++;
    try {
      // Slower than mapping a page, so the next batch is mapped and waiting when this one is acknowledged.
      await new Promise((r) => setTimeout(r, 250));
      return await super.writeMemories(batch, gate);
    } finally {
      this.inFlight--;
    }
  }

  override async state(): Promise<TargetState> {
    const before = this.inFlight;
    const state = await super.state(); // the file lengths are read in here (after a sync)
    if (before > 0 || this.inFlight > 0) this.statesDuringWrites++;
    return state;
  }
}

describe('overlapping a batch with the previous batch finish', () => {
  for (const allowed of [false, true]) {
    it(`${allowed ? 'a target that allows it is checkpointed while the next batch is written' : 'the bundle is never checkpointed while a batch is written'}, and every memory lands once`, async () => {
      const config = testConfig({ engine: { batchSize: 50, pauseMs: 0, edges: false, workers: 1 } });
      const target = new WatchedBundle(config.target.kind === 'bundle' ? config.target.path : '', allowed);
      const summary = await backfill({ config, target, overwrite: true });
      expect(summary.error).toBeNull();
      expect(summary.counters.memoriesWritten + summary.counters.nodesRejected).toBe(nodes);
      if (allowed) expect(target.statesDuringWrites).toBeGreaterThan(0);
      else expect(target.statesDuringWrites).toBe(0);
      const manifest = JSON.parse(await readFile(join(target.location, 'manifest.json'), 'utf8')) as { spaces: Record<string, { file: string }> };
      let lines = 0;
      for (const s of Object.values(manifest.spaces)) lines += (await readFile(join(target.location, s.file), 'utf8')).split('\n').filter(Boolean).length;
      expect(lines).toBe(summary.counters.memoriesWritten);
    });
  }
});

/**
 * A target whose batches take 380 ms and have a tail: every record is on its way (`onAllSent`) 80 ms
 * before the batch ends, as the last requests of an Engram batch are. Optionally the batch `failAt`
 * fails at its end.
 */
class TailTarget extends BundleTarget {
  override readonly capabilities: TargetCapabilities = { edges: true, dedup: false, capacityPerSpace: null, checkpointDuringWrites: true };
  active = 0;
  peakActive = 0;
  started = 0;
  /** Batches that began while the one before was still in its tail. */
  overlapped = 0;
  /** Batches whose tail was cut short by an abort. */
  readonly aborted: number[] = [];

  constructor(
    dir: string,
    readonly failAt: number | null = null,
  ) {
    super(dir, { overwrite: true });
  }

  override async writeMemories(batch: EncodedMemoryBatch, gate: WriteGate, signal?: AbortSignal, onAllSent?: () => void) {
    const index = this.started++;
    if (this.active > 0) this.overlapped++;
    this.peakActive = Math.max(this.peakActive, ++this.active);
    try {
      const outcome = await super.writeMemories(batch, gate);
      await sleep(300); // the batch's requests going out, while the previous batch is finished
      onAllSent?.();
      await sleep(80, signal).catch((err: unknown) => {
        this.aborted.push(index);
        throw err;
      });
      if (index === this.failAt) throw new TargetError('TARGET_HTTP', `batch ${index} failed in its tail`, { retriable: false });
      return outcome;
    } finally {
      this.active--;
    }
  }
}

describe("a batch's writes overlap the previous batch's last requests", () => {
  it('the next batch starts once every record of the one before is on its way, never more than two at once, and every memory lands once', async () => {
    const config = testConfig({ engine: { batchSize: 50, pauseMs: 0, edges: false, workers: 1 } });
    const target = new TailTarget(config.target.kind === 'bundle' ? config.target.path : '');
    const summary = await backfill({ config, target, overwrite: true });
    expect(summary.error).toBeNull();
    expect(summary.counters.memoriesWritten + summary.counters.nodesRejected).toBe(nodes);
    // A label's first batch has nothing before it to overlap (labels are written one after another);
    // 10 of 16 batches overlapped here, all but the first of each label.
    expect(target.overlapped).toBeGreaterThan(target.started / 3);
    expect(target.peakActive).toBe(2);
    const lines = readBundleMemories(target.location);
    expect(lines).toHaveLength(summary.counters.memoriesWritten);
    expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
  });

  it("a batch that fails in its tail stops the next batch's writes, and the run reports that failure", async () => {
    const config = testConfig({ engine: { batchSize: 50, pauseMs: 0, edges: false, workers: 1 } });
    const target = new TailTarget(config.target.kind === 'bundle' ? config.target.path : '', 3);
    const summary = await backfill({ config, target, overwrite: true });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain('batch 3 failed in its tail');
    expect(target.aborted).toEqual([4]); // the batch that had started beside it
    expect(target.started).toBe(5);
  });
});

/** A bundle that records the size and space of each batch written, in order. */
class BatchSizes extends BundleTarget {
  readonly batches: Array<{ space: string; size: number }> = [];

  override async writeMemories(batch: EncodedMemoryBatch, gate: WriteGate) {
    this.batches.push({ space: batch.spaces[0]!, size: batch.ids.length });
    return super.writeMemories(batch, gate);
  }
}

describe("a label's first pages", () => {
  it('ramp up from 32 nodes, doubling to the batch size, so writing starts before a whole batch is read and mapped', async () => {
    // One reader: one range per label, so a label's pages (and batches) come in order.
    const config = testConfig({ source: { readers: 1 }, engine: { batchSize: 100, pauseMs: 0, edges: false, workers: 1 } });
    const target = new BatchSizes(config.target.kind === 'bundle' ? config.target.path : '', { overwrite: true });
    const summary = await backfill({ config, target, overwrite: true });
    expect(summary.error).toBeNull();
    expect(summary.counters.memoriesWritten + summary.counters.nodesRejected).toBe(nodes);
    // Consecutive batches into one space are one label's; each label (with enough nodes) ramps up anew.
    const runs: number[][] = [];
    target.batches.forEach((b, i) => (i > 0 && target.batches[i - 1]!.space === b.space ? runs.at(-1)!.push(b.size) : runs.push([b.size])));
    const big = runs.filter((sizes) => sizes.reduce((a, b) => a + b, 0) > 32 + 64 + 100);
    expect(big.length).toBeGreaterThanOrEqual(2);
    for (const sizes of big) {
      expect(sizes.slice(0, 3)).toEqual([32, 64, 100]);
      expect(Math.max(...sizes)).toBe(100);
    }
    expect(target.batches.reduce((s, b) => s + b.size, 0)).toBe(summary.counters.memoriesWritten);
  });
});
