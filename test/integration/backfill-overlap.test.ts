/**
 * A batch's writes overlap the previous batch's finish (stamp check, reject log, checkpoint) only when the
 * target's state may be checkpointed meanwhile: never for the bundle, whose state is its file lengths (a
 * length taken mid-append would resume into the middle of a line). Also here: a label's first pages are
 * short, so its writes start early.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { BundleTarget } from '../../src/target/bundle-target.js';
import type { EncodedMemoryBatch, TargetCapabilities, TargetState, WriteGate } from '../../src/target/target.js';
import { driverFor, loadFixtureGraph, testConfig } from '../helpers/backfill-fixture.js';

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
