import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoteCutover, nextGateRecord, promoteCutover, recordGateCheck, retireNeo4j } from '../../../src/live/cutover/cutover-phase.js';
import { CutoverRouter } from '../../../src/live/cutover/cutover-router.js';
import { beginCutoverSchedule, setCutoverPercent } from '../../../src/live/cutover/cutover-schedule.js';
import { initialCutoverState } from '../../../src/live/cutover/cutover-state.js';
import { FileCutoverStore } from '../../../src/live/cutover/cutover-store.js';
import { MemoryGraphDatabase, memory, vector } from './memory-graph-database.js';

const HOUR = 3_600_000;
let dir: string;
let store: FileCutoverStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-phase-'));
  store = new FileCutoverStore(join(dir, 'cutover.json'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('promote, demote, retire', () => {
  it('promotes only at 100% (or --force), and `cutover set` after a promote demotes', async () => {
    await setCutoverPercent(store, 50);
    await expect(promoteCutover(store)).rejects.toThrow(/100%.*now 50%/);
    expect((await promoteCutover(store, { force: true })).phase).toBe('promoted');
    const set = await setCutoverPercent(store, 0, 'incident 7');
    expect(set).toMatchObject({ phase: 'cutover', percent: 0, reason: 'incident 7', gate: null });
    await setCutoverPercent(store, 100);
    const promoted = await promoteCutover(store, { reason: 'go' });
    expect(promoted).toMatchObject({ phase: 'promoted', percent: 100, reason: 'go' });
    await expect(beginCutoverSchedule(store)).rejects.toThrow(/demote first/);
    expect(await demoteCutover(store, { percent: 10 })).toMatchObject({ phase: 'cutover', percent: 10 });
  });

  it('retires only after the final gate passed, and then refuses demote and set unless forced', async () => {
    await setCutoverPercent(store, 100);
    await promoteCutover(store);
    await expect(retireNeo4j(store)).rejects.toThrow(/final gate has not passed.*never checked/);
    await recordGateCheck(store, true, { minHours: 0, maxGapMs: HOUR });
    const retired = await retireNeo4j(store);
    expect(retired.phase).toBe('retired');
    await expect(demoteCutover(store)).rejects.toThrow(/retired since .*none of the writes/);
    await expect(setCutoverPercent(store, 0)).rejects.toThrow(/retired/);
    // a gate run after retirement leaves the record as it was
    expect((await recordGateCheck(store, false, { minHours: 0, maxGapMs: HOUR })).gate?.lastReady).toBe(true);
    expect((await demoteCutover(store, { force: true })).phase).toBe('cutover');
  });
});

describe('a hand-edited phase', () => {
  it('is refused naming the field, and the lever still overwrites it', async () => {
    await writeFile(store.path, JSON.stringify({ ...initialCutoverState(100), phase: 'archived' }));
    await expect(store.read()).rejects.toThrow(/phase: must be one of cutover, promoted, retired, got "archived"/);
    expect((await setCutoverPercent(store, 0)).phase).toBeUndefined();
  });
});

describe('the final gate streak', () => {
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  it('counts --min-hours from the first green check, restarts after a red one or a gap longer than max-gap', () => {
    const a = nextGateRecord(null, true, t0, 72, HOUR);
    expect(a).toMatchObject({ greenSince: '2026-12-01T00:00:00.000Z', passedAt: null, lastReady: true });
    let r = a;
    for (let h = 1; h <= 72; h++) r = nextGateRecord(r, true, t0 + h * HOUR, 72, HOUR);
    expect(r).toMatchObject({ greenSince: a.greenSince, passedAt: '2026-12-04T00:00:00.000Z' });
    expect(nextGateRecord(r, true, t0 + 73 * HOUR, 72, HOUR).passedAt).toBe('2026-12-04T00:00:00.000Z');
    const red = nextGateRecord(r, false, t0 + 73 * HOUR, 72, HOUR);
    expect(red).toMatchObject({ greenSince: null, passedAt: null, lastReady: false });
    expect(nextGateRecord(red, true, t0 + 74 * HOUR, 72, HOUR).greenSince).toBe(new Date(t0 + 74 * HOUR).toISOString());
    // nobody looked for two hours: the streak cannot claim those hours
    const gap = nextGateRecord(a, true, t0 + 2 * HOUR + 1, 72, HOUR);
    expect(gap.greenSince).toBe(new Date(t0 + 2 * HOUR + 1).toISOString());
  });

  it('is green only while promoted', async () => {
    await setCutoverPercent(store, 100);
    expect((await recordGateCheck(store, true, { minHours: 0, maxGapMs: HOUR })).gate?.lastReady).toBe(false);
  });
});

describe('CutoverRouter phases', () => {
  it('writes through the forward writer, then the reverse one once promoted, then Engram only once retired', async () => {
    const neo = new MemoryGraphDatabase('neo4j');
    const engram = new MemoryGraphDatabase('engram');
    const forward = new MemoryGraphDatabase('forward');
    const reverse = new MemoryGraphDatabase('reverse');
    const router = new CutoverRouter({ oldStore: neo, newStore: engram, writes: forward, reverseWrites: reverse, store, pollMs: 10 });
    await setCutoverPercent(store, 100);
    await router.start();
    await router.createMemory(memory(1));
    expect(forward.calls.map((c) => c.method)).toEqual(['createMemory']);
    router.applyState(await promoteCutover(store));
    await router.createMemory(memory(2));
    expect(reverse.calls.map((c) => c.method)).toEqual(['createMemory']);
    router.applyState(await demoteCutover(store));
    expect(router.route('k')).toBe('old');
    await router.createMemory(memory(3));
    expect(forward.calls).toHaveLength(2);
    await setCutoverPercent(store, 100);
    await promoteCutover(store);
    await recordGateCheck(store, true, { minHours: 0, maxGapMs: HOUR });
    router.applyState(await retireNeo4j(store));
    await router.createMemory(memory(4));
    expect(engram.calls.filter((c) => c.method === 'createMemory')).toHaveLength(1);
    await router.activate({ space: 'live_test', embedding: vector(4), k: 1 });
    expect(neo.calls.filter((c) => c.method === 'activate')).toHaveLength(0);
    await router.close();
  });

  it('a promoted router without a reverse writer keeps Neo4j first and says so', async () => {
    const errors: unknown[] = [];
    const forward = new MemoryGraphDatabase('forward');
    const router = new CutoverRouter({
      oldStore: new MemoryGraphDatabase('neo4j'),
      newStore: new MemoryGraphDatabase('engram'),
      writes: forward,
      onStateError: (e) => errors.push(e),
    });
    await setCutoverPercent(store, 100);
    router.applyState(await promoteCutover(store));
    await router.createMemory(memory(1));
    expect(forward.calls).toHaveLength(1);
    expect(String(errors[0])).toMatch(/no reverseWrites/);
  });
});
