/**
 * The race-safe backfill on the REAL Engram server (one per file, see test/helpers/real-engram.ts): the
 * live service updates half of each batch's keys between the backfill's read and its write, so the
 * backfill's write of those keys is stale; the server's own rules decide whether that stale write
 * lands (an update at equal confidence may be dropped or not, see docs/engram-api.md), and the
 * backfill's check must leave every key at Neo4j's latest either way. In the `default` space (every
 * further space costs seconds and ~3 GB of mapped pages).
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { evenOf, RacingTarget, startRaceScene, type RaceHook, type RaceScene } from '../helpers/live-race-scene.js';
import { testDriver } from '../helpers/neo4j.js';
import { describeRealEngram, startRealEngram, type RealEngram } from '../helpers/real-engram.js';

const NODES = 40;
let driver: Driver;
let engram: RealEngram;
let scene: RaceScene;

describeRealEngram('race-safe backfill on the real Engram server', () => {
  beforeAll(async () => {
    driver = testDriver();
    engram = await startRealEngram();
    scene = await startRaceScene({ driver, engramUrl: engram.url, label: 'RealEngramRaceMemory', space: 'default', nodes: NODES });
  });

  afterAll(async () => {
    await scene?.close();
    await engram?.stop();
    await driver?.close();
  });

  it('leaves every key at Neo4j latest although the live side updated half of them between read and write', async () => {
    const config = scene.config({ batchSize: 10 });
    const hook: RaceHook = (ids, phase) => (phase === 'write' ? scene.liveUpdate(evenOf(ids)) : Promise.resolve());
    const summary = await backfill({ config, target: new RacingTarget(config, hook) });
    expect(summary.error).toBeNull();
    expect(summary.status).toBe('completed');
    expect(summary.counters.liveRaced).toBe(NODES / 2);
    console.log(`[real-engram] raced ${summary.counters.liveRaced}, rewrites that landed ${summary.counters.liveRewritten}`);
    expect(summary.rejectsByCode).toEqual({});
    expect(summary.accounted).toBe(true);
    expect(await scene.mismatches()).toEqual([]);
  });

  it('without the check the stale writes land on the real server: the raced keys are left at their old version', async () => {
    const stale = await startRaceScene({
      driver,
      engramUrl: engram.url,
      label: 'RealEngramRaceUnchecked',
      space: 'default',
      nodes: NODES,
      prefix: 'u',
      seedBase: 1_000_000,
    });
    try {
      const config = stale.config({ batchSize: 10, liveStampProperty: null });
      const hook: RaceHook = (ids, phase) => (phase === 'write' ? stale.liveUpdate(evenOf(ids)) : Promise.resolve());
      const summary = await backfill({ config, target: new RacingTarget(config, hook) });
      expect(summary.status).toBe('completed');
      const wrong = await stale.mismatches();
      console.log(`[real-engram] without the check: ${wrong.length} of ${NODES / 2} raced keys stale`);
      expect(wrong.length).toBe(NODES / 2);
    } finally {
      await stale.close();
    }
  });
});
