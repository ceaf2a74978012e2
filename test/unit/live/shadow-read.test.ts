import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { overlapAtK, rankBiasedOverlap } from '../../../src/live/shadow/ranking-similarity.js';
import { RollingSimilarity } from '../../../src/live/shadow/rolling-similarity.js';
import { ShadowReadCoordinator } from '../../../src/live/shadow/shadow-read-coordinator.js';
import { LiveMetrics } from '../../../src/live/live-metrics.js';
import { decodeEmbedding } from '../../../src/mapping/memory-encoding.js';
import { MemoryGraphDatabase, memory, vector } from './memory-graph-database.js';

describe('ranking similarity', () => {
  it('overlap@k counts shared ids over the longer top-k', () => {
    expect(overlapAtK(['a', 'b', 'c'], ['c', 'b', 'a'], 3)).toBe(1);
    expect(overlapAtK(['a', 'b', 'c', 'd'], ['a', 'b', 'x', 'y'], 4)).toBe(0.5);
    expect(overlapAtK(['a', 'b'], ['a', 'b', 'c'], 3)).toBeCloseTo(2 / 3);
    expect(overlapAtK([], [], 5)).toBe(1);
    expect(overlapAtK(['a', 'b', 'c'], ['a', 'b', 'z'], 2)).toBe(1);
  });

  it('RBO: 1 for identical lists, 0 for disjoint ones, top swaps cost more than bottom swaps', () => {
    const list = Array.from({ length: 10 }, (_, i) => `id${i}`);
    expect(rankBiasedOverlap(list, list)).toBeCloseTo(1, 12);
    expect(
      rankBiasedOverlap(
        list,
        list.map((x) => `${x}'`),
      ),
    ).toBe(0);
    const topSwap = ['id1', 'id0', ...list.slice(2)];
    const bottomSwap = [...list.slice(0, 8), 'id9', 'id8'];
    expect(rankBiasedOverlap(list, topSwap)).toBeLessThan(rankBiasedOverlap(list, bottomSwap));
    expect(rankBiasedOverlap(['a', 'b'], ['b', 'a'])).toBeCloseTo(0.9, 12); // worked by hand: 0.81 + (0.1/0.9)·0.81
  });

  it('rolling similarity keeps the last window and grades against 0.9 / 0.95', () => {
    const r = new RollingSimilarity({ window: 4 });
    expect(r.status).toBe('no-data');
    for (const x of [0.2, 0.2, 1, 1, 1, 1]) r.add(x, x);
    expect(r.overlap).toBeCloseTo(1, 12);
    expect(r.status).toBe('ok');
    r.add(0.7, 0.7); // window: 1, 1, 1, 0.7 → 0.925
    expect(r.overlap).toBeCloseTo(0.925);
    expect(r.status).toBe('watch');
    r.add(0.5, 0.5);
    expect(r.status).toBe('warn');
  });
});

describe('ShadowReadCoordinator', () => {
  let dir: string;
  let primary: MemoryGraphDatabase;
  let secondary: MemoryGraphDatabase;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shadow-'));
    primary = new MemoryGraphDatabase('neo4j');
    secondary = new MemoryGraphDatabase('engram');
    for (let i = 0; i < 200; i++) {
      await primary.createMemory(memory(i));
      await secondary.createMemory(memory(i));
    }
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the primary, samples the configured share, and logs a planted divergence with its query', async () => {
    const log = join(dir, 'discrepancies.ndjson');
    const metrics = new LiveMetrics();
    let seed = 3;
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const statuses: string[] = [];
    const shadow = new ShadowReadCoordinator({ primary, secondary, sampleRate: 0.25, discrepancyLog: log, metrics, random, onStatus: (s) => statuses.push(s) });
    for (let i = 0; i < 400; i++) {
      const q = { space: 'live_test', embedding: vector(1000 + i), k: 10 };
      expect(await shadow.activate(q)).toEqual(await primary.activate(q));
    }
    await shadow.settle();
    const clean = shadow.report();
    expect(clean.reads).toBe(400);
    expect(Math.abs(clean.comparisons - 100)).toBeLessThan(5 * Math.sqrt(400 * 0.25 * 0.75));
    expect(clean).toMatchObject({ discrepancies: 0, errors: 0, rolling: { overlap: 1, rbo: expect.closeTo(1, 9), status: 'ok' } });
    expect(clean.latencyMs.primary.count).toBe(400);
    expect(clean.latencyMs.secondary.count).toBe(clean.comparisons);

    // plant a divergence: the secondary loses the 10 memories nearest to one query
    const planted = { space: 'live_test', embedding: vector(77), k: 10 };
    const nearest = (await primary.activate(planted)).hits.map((h) => h.id);
    for (const id of nearest.slice(0, 5)) secondary.memories.delete(id);
    const always = new ShadowReadCoordinator({ primary, secondary, sampleRate: 1, discrepancyLog: log, metrics, onStatus: (s) => statuses.push(s) });
    await always.activate(planted);
    await always.close();
    await shadow.close();
    const lines = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ kind: 'discrepancy', space: 'live_test', k: 10, overlap: 0.5 });
    expect(new Set(lines[0].onlyPrimary)).toEqual(new Set(nearest.slice(0, 5)));
    expect(Array.from(decodeEmbedding(lines[0].embedding_f32))).toEqual(Array.from(vector(77)));
    expect(always.report().rolling.status).toBe('warn');
    expect(statuses).toEqual(['ok', 'warn']);
    expect(await metrics.text()).toMatch(/engram_migrate_live_shadow_comparisons_total\{result="discrepancy"\} 1/);
  });

  it('counts shadow errors without failing the read', async () => {
    secondary.faults = { down: true };
    const shadow = new ShadowReadCoordinator({ primary, secondary, sampleRate: 1 });
    const q = { space: 'live_test', embedding: vector(9), k: 5 };
    expect((await shadow.activate(q)).hits).toHaveLength(5);
    await shadow.settle();
    expect(shadow.report()).toMatchObject({ comparisons: 0, errors: 1 });
  });

  it.each([
    ['ENOSPC', '/dev/full'],
    ['ENOTDIR', 'a-file/discrepancies.ndjson'],
  ])('reports a discrepancy log that fails with %s and keeps serving reads', async (code, path) => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'a-file'), 'not a directory');
    secondary.memories.clear(); // every comparison is a discrepancy
    const errors: NodeJS.ErrnoException[] = [];
    const metrics = new LiveMetrics();
    const log = path.startsWith('/') ? path : join(dir, path);
    const shadow = new ShadowReadCoordinator({ primary, secondary, sampleRate: 1, discrepancyLog: log, metrics, onLogError: (err) => errors.push(err) });
    for (let i = 0; i < 20; i++) {
      const q = { space: 'live_test', embedding: vector(300 + i), k: 5 };
      expect(await shadow.activate(q)).toEqual(await primary.activate(q));
      await shadow.settle();
      await new Promise((r) => setImmediate(r)); // let the stream report its error between reads
    }
    await shadow.close();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]!.code).toBe(code);
    const report = shadow.report();
    expect(report.reads).toBe(20);
    expect(report.discrepancies).toBe(20);
    expect(report.logErrors).toBe(errors.length);
    expect(report.logDropped).toBeGreaterThan(0);
    expect(await metrics.text()).toMatch(/survived_errors_total\{component="shadow-log"\} [1-9]/);
  });
});
