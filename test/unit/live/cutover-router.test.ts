import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CutoverRouter, keyBucket } from '../../../src/live/cutover/cutover-router.js';
import { CutoverScheduleRunner, parseCutoverSteps, setCutoverPercent } from '../../../src/live/cutover/cutover-schedule.js';
import { readCutoverState } from '../../../src/live/cutover/cutover-state.js';
import { MemoryGraphDatabase, memory, vector } from './memory-graph-database.js';

let dir: string;
let oldStore: MemoryGraphDatabase;
let newStore: MemoryGraphDatabase;
const query = (key?: string) => ({ space: 'live_test', embedding: vector(5), k: 3, ...(key === undefined ? {} : { routingKey: key }) });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-'));
  oldStore = new MemoryGraphDatabase('neo4j');
  newStore = new MemoryGraphDatabase('engram');
  for (let i = 0; i < 10; i++) {
    await oldStore.createMemory(memory(i));
    await newStore.createMemory(memory(i));
  }
  oldStore.calls.length = 0;
  newStore.calls.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const reads = (s: MemoryGraphDatabase): number => s.calls.filter((c) => c.method === 'activate').length;

describe('CutoverRouter', () => {
  it.each([0, 1, 10, 50, 100])('routes %d percent of 20,000 random reads to the new store, within 5 sigma', async (percent) => {
    const router = new CutoverRouter({ oldStore, newStore, percent });
    const n = 20_000;
    for (let i = 0; i < n; i++) await router.activate(query());
    const share = reads(newStore) / n;
    const p = percent / 100;
    const sigma = Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(share - p)).toBeLessThanOrEqual(5 * sigma + 1e-12);
    expect(reads(oldStore) + reads(newStore)).toBe(n);
  });

  it('sticky routing: one key always lands on one store, and keys split by the share', async () => {
    const router = new CutoverRouter({ oldStore, newStore, percent: 30, sticky: true });
    const keys = Array.from({ length: 5000 }, (_, i) => `user-${i}`);
    const first = keys.map((k) => router.route(k));
    for (let round = 0; round < 3; round++) expect(keys.map((k) => router.route(k))).toEqual(first);
    const share = first.filter((s) => s === 'new').length / keys.length;
    expect(Math.abs(share - 0.3)).toBeLessThan(5 * Math.sqrt((0.3 * 0.7) / keys.length));
    // raising the share only moves keys from old to new, never back
    router.setPercent(60);
    const later = keys.map((k) => router.route(k));
    first.forEach((s, i) => s === 'new' && expect(later[i]).toBe('new'));
    expect(keyBucket('user-1')).toBe(keyBucket('user-1'));
  });

  it('falls back to the other store when the selected one fails, and counts the new store errors', async () => {
    const router = new CutoverRouter({ oldStore, newStore, percent: 100 });
    newStore.faults = { down: true };
    const result = await router.activate(query());
    expect(result.hits.map((h) => h.id)).toEqual((await oldStore.activate(query())).hits.map((h) => h.id));
    expect(router.errorStats(60_000)).toEqual({ requests: 1, errors: 1, errorRate: 1 });
    router.setPercent(0);
    oldStore.faults = { down: true };
    newStore.faults = {};
    expect((await router.activate(query())).hits).toHaveLength(3);
  });

  it('picks up `cutover set 0` from the state file within a second, and a new router starts from it', async () => {
    const stateFile = join(dir, 'cutover.json');
    const router = new CutoverRouter({ oldStore, newStore, percent: 50, stateFile, pollMs: 100 });
    await router.start();
    expect(router.percent).toBe(50);
    await setCutoverPercent(stateFile, 25);
    const t0 = performance.now();
    await setCutoverPercent(stateFile, 0, 'incident 42');
    while (router.percent !== 0 && performance.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 10));
    const reached = performance.now() - t0;
    expect(router.percent).toBe(0);
    expect(reached).toBeLessThan(1_000);
    await router.close();
    const restarted = new CutoverRouter({ oldStore, newStore, percent: 50, stateFile });
    await restarted.start();
    expect(restarted.percent).toBe(0);
    expect(restarted.state).toMatchObject({ source: 'manual', reason: 'incident 42' });
    await restarted.close();
  });

  it('obeys a state file that was deleted and written again (revision back to 1)', async () => {
    const stateFile = join(dir, 'cutover.json');
    for (let i = 0; i < 3; i++) await setCutoverPercent(stateFile, 40);
    const router = new CutoverRouter({ oldStore, newStore, stateFile, pollMs: 50 });
    await router.start();
    expect(router.state?.revision).toBe(3);
    await rm(stateFile);
    await setCutoverPercent(stateFile, 0, 'recreated');
    const t0 = performance.now();
    while (router.percent !== 0 && performance.now() - t0 < 2_000) await new Promise((r) => setTimeout(r, 10));
    expect(router.percent).toBe(0);
    expect(router.state).toMatchObject({ revision: 1, reason: 'recreated' });
    await router.close();
  });
});

describe('CutoverScheduleRunner', () => {
  it('parses steps and durations, naming the bad part', () => {
    expect(parseCutoverSteps('1:24h,10:24h,50:48h,100')).toEqual([
      { percent: 1, durationMs: 86_400_000 },
      { percent: 10, durationMs: 86_400_000 },
      { percent: 50, durationMs: 172_800_000 },
      { percent: 100, durationMs: 0 },
    ]);
    expect(() => parseCutoverSteps('1:24x')).toThrow(/steps\[0\]\.duration/);
    expect(() => parseCutoverSteps('120:1h')).toThrow(/steps\[0\]\.percent/);
    expect(() => parseCutoverSteps('1,10:1h')).toThrow(/only the last step/);
  });

  it('walks the steps on a clock and persists where it is', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const stateFile = join(dir, 'cutover.json');
    const router = new CutoverRouter({ oldStore, newStore, stateFile, now: () => now });
    await router.start();
    const runner = new CutoverScheduleRunner({ router, stateFile, now: () => now });
    await runner.begin(parseCutoverSteps('1:1h,10:1h,50:2h,100'));
    expect(router.percent).toBe(1);
    now += 59 * 60_000;
    await runner.tick();
    expect(router.percent).toBe(1);
    now += 60_000;
    await runner.tick();
    expect(router.percent).toBe(10);
    now += 3_600_000;
    await runner.tick();
    expect(router.percent).toBe(50);
    expect((await readCutoverState(stateFile))?.schedule).toMatchObject({ step: 2, status: 'running' });
    now += 7_200_000;
    await runner.tick();
    expect(router.percent).toBe(100);
    expect((await readCutoverState(stateFile))?.schedule?.status).toBe('completed');
    await router.close();
  });

  it('rolls back to 0% when the new store fails on more than 1% of reads', async () => {
    const stateFile = join(dir, 'cutover.json');
    const router = new CutoverRouter({ oldStore, newStore, stateFile });
    await router.start();
    const events: string[] = [];
    const runner = new CutoverScheduleRunner({ router, stateFile, minRequests: 100, onEvent: (e) => events.push(e.type) });
    await runner.begin(parseCutoverSteps('50:1h,100'));
    let seed = 7;
    newStore.random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    newStore.faults = { errorRate: 0.005 }; // below the limit: stays
    for (let i = 0; i < 4000; i++) await router.activate(query());
    await runner.tick();
    expect(router.percent).toBe(50);
    newStore.faults = { errorRate: 0.05 }; // injected: 5% of the new store's reads fail
    for (let i = 0; i < 4000; i++) await router.activate(query());
    await runner.tick();
    expect(router.percent).toBe(0);
    const state = await readCutoverState(stateFile);
    expect(state).toMatchObject({ percent: 0, source: 'rollback', schedule: { status: 'rolled-back' } });
    expect(state?.reason).toMatch(/error rate \d\.\d\d% over \d+ requests > 1\.00%/);
    expect(events).toEqual(['step', 'rollback']);
    await router.close();
  });

  it('stops the schedule when an operator pulls the lever', async () => {
    const stateFile = join(dir, 'cutover.json');
    const router = new CutoverRouter({ oldStore, newStore, stateFile });
    await router.start();
    const runner = new CutoverScheduleRunner({ router, stateFile, now: () => Date.now() + 10 * 3_600_000 });
    await runner.begin(parseCutoverSteps('10:1h,100'));
    await setCutoverPercent(stateFile, 0);
    await runner.tick(); // the step's time is up, but the schedule was aborted: nothing moves
    expect(await readCutoverState(stateFile)).toMatchObject({ percent: 0, source: 'manual', schedule: { status: 'aborted' } });
    await router.close();
  });
});

describe('CutoverRouter with a hand-edited state file', () => {
  it('reports a share outside 0-100 or garbage, never throws from the watcher, and keeps the last good state', async () => {
    const { rename, writeFile } = await import('node:fs/promises');
    const stateFile = join(dir, 'cutover.json');
    // an editor's save: the whole new text at once (a poll between a truncate and a write would see a third version)
    const put = async (text: string): Promise<void> => {
      await writeFile(`${stateFile}.edit`, text);
      await rename(`${stateFile}.edit`, stateFile);
    };
    const errors: unknown[] = [];
    await setCutoverPercent(stateFile, 30);
    const router = new CutoverRouter({ oldStore, newStore, stateFile, pollMs: 20, onStateError: (err) => errors.push(err) });
    await router.start();
    expect(router.percent).toBe(30);
    const good = await readCutoverState(stateFile);
    await put(JSON.stringify({ ...good, percent: 150, revision: good!.revision + 1 }));
    await expect.poll(() => errors.length, { timeout: 5_000 }).toBe(1);
    expect(errors[0]).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('percent') });
    expect(router.percent).toBe(30);
    await put('{"version":1,"perc');
    await expect.poll(() => errors.length, { timeout: 5_000 }).toBe(2);
    expect(router.percent).toBe(30);
    expect(router.stateError).toMatchObject({ code: 'CONFIG_INVALID' });
    await put(JSON.stringify({ ...good, percent: 'ten' }));
    await expect.poll(() => errors.length, { timeout: 5_000 }).toBe(3);
    // the lever still works afterwards
    await setCutoverPercent(stateFile, 0, 'after the bad edit');
    await expect.poll(() => router.percent, { timeout: 5_000 }).toBe(0);
    expect(router.stateError).toBeNull();
    await router.close();
    // a service (re)starting on a bad file starts at its configured share instead of failing
    await put('{"version":1,"percent":-5,"revision":1}');
    const restarted = new CutoverRouter({ oldStore, newStore, stateFile, percent: 0, onStateError: (err) => errors.push(err) });
    await restarted.start();
    expect(restarted.percent).toBe(0);
    expect(errors).toHaveLength(4);
    await restarted.close();
  });
});
