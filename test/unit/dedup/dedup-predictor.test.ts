import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { DedupGuard } from '../../../src/dedup/dedup-guard.js';
import { DedupMap, dedupMapPath } from '../../../src/dedup/dedup-map.js';
import { DedupPredictor, type PredictedOutcome, SpacePredictor } from '../../../src/dedup/dedup-predictor.js';
import { MigrateError } from '../../../src/errors.js';
import { NdjsonAppender } from '../../../src/shared/ndjson-appender.js';
import { MemorySpace } from '../../helpers/engram-double/memory-space.js';

const D = 768;

function rng(seed: number): () => number {
  const g = xoroshiro128plus(seed);
  // Box-Muller over two uniforms.
  return () => {
    const u = ((g.next() >>> 0) + 1) / 4294967297;
    const v = (g.next() >>> 0) / 4294967296;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function unit(v: Float64Array): Float64Array {
  let sq = 0;
  for (const x of v) sq += x * x;
  const n = Math.sqrt(sq);
  return v.map((x) => x / n);
}

function randomUnit(gauss: () => number): Float64Array {
  return unit(Float64Array.from({ length: D }, gauss));
}

/** A unit vector at exactly cosine `c` to unit vector `u` (up to float32 rounding). */
function atCosine(u: Float64Array, c: number, gauss: () => number): Float32Array {
  const r = randomUnit(gauss);
  const dot = r.reduce((s, x, i) => s + x * u[i]!, 0);
  const w = unit(r.map((x, i) => x - dot * u[i]!));
  return Float32Array.from(u, (x, i) => c * x + Math.sqrt(1 - c * c) * w[i]!);
}

describe('SpacePredictor: the server dedup rules', () => {
  const gauss = rng(11);
  const a = randomUnit(gauss);
  const A = Float32Array.from(a);

  it('drops an identical write of the same confidence for the memory written first (a tie is not above)', () => {
    const p = new SpacePredictor('s');
    expect(p.write('a', A, 1)).toEqual({ kind: 'stored' });
    const second = p.write('b', A, 1);
    expect(second.kind).toBe('dropped');
    expect(second).toMatchObject({ survivor: 'a' });
    expect((second as { cosine: number }).cosine).toBeCloseTo(1, 5);
    expect(p.holds('b')).toBe(false);
    expect(p.size).toBe(1);
  });

  it('a lower confidence is dropped; a strictly higher one replaces the other memory', () => {
    const p = new SpacePredictor('s');
    p.write('a', A, 0.6);
    expect(p.write('low', atCosine(a, 0.97, gauss), 0.5)).toMatchObject({ kind: 'dropped', survivor: 'a' });
    expect(p.write('high', atCosine(a, 0.97, gauss), 0.7)).toMatchObject({ kind: 'replaces', replaced: 'a' });
    expect(p.holds('a')).toBe(false);
    expect(p.holds('high')).toBe(true);
  });

  it('cosine 0.96 is a duplicate, 0.94 is not', () => {
    const p = new SpacePredictor('s');
    p.write('a', A, 1);
    expect(p.write('near', atCosine(a, 0.96, gauss), 1).kind).toBe('dropped');
    expect(p.write('far', atCosine(a, 0.94, gauss), 1).kind).toBe('stored');
  });

  it('order decides: the first of two near-duplicates survives', () => {
    const B = atCosine(a, 0.98, gauss);
    const one = new SpacePredictor('s');
    one.write('a', A, 1);
    expect(one.write('b', B, 1)).toMatchObject({ kind: 'dropped', survivor: 'a' });
    const other = new SpacePredictor('s');
    other.write('b', B, 1);
    expect(other.write('a', A, 1)).toMatchObject({ kind: 'dropped', survivor: 'b' });
  });

  it('a dropped write is not compared with later ones (chains do not propagate)', () => {
    // b is 0.96 to a; c is 0.96 to b but only ~0.84 to a: a stored, b dropped, c stored.
    const b64 = unit(Float64Array.from(atCosine(a, 0.96, gauss)));
    const C = atCosine(b64, 0.96, gauss);
    const p = new SpacePredictor('s');
    p.write('a', A, 1);
    expect(p.write('b', Float32Array.from(b64), 1).kind).toBe('dropped');
    expect(p.write('c', C, 1).kind).toBe('stored');
  });

  it('the most similar memory decides, with its own confidence', () => {
    const p = new SpacePredictor('s');
    p.write('a', A, 0.9);
    const b64 = unit(Float64Array.from(atCosine(a, 0.9, gauss)));
    p.write('b', Float32Array.from(b64), 0.5);
    // q: 0.99 to b, and at least ~0.85 to a; b (0.5) is the best match, so 0.6 replaces b.
    const q = atCosine(b64, 0.99, gauss);
    expect(p.write('q', q, 0.6)).toMatchObject({ kind: 'replaces', replaced: 'b' });
  });

  it('re-sending an id with the same embedding is a no-op, not a drop', () => {
    const p = new SpacePredictor('s');
    p.write('a', A, 1);
    expect(p.write('a', A, 1)).toEqual({ kind: 'noop' });
  });

  it('spaces (and shards) are independent', () => {
    const p = new DedupPredictor();
    expect(p.write('s-0', 'a', A, 1).kind).toBe('stored');
    expect(p.write('s-1', 'b', A, 1).kind).toBe('stored');
    expect(p.write('s-0', 'c', A, 1).kind).toBe('dropped');
  });

  it('predicts exactly what the test double stores, over 2,000 writes with planted near-duplicates and mixed confidences', () => {
    const g = rng(7);
    const bases = Array.from({ length: 1000 }, () => randomUnit(g));
    const pick = xoroshiro128plus(3);
    const space = new MemorySpace('s', { capacity: 100_000, dedupThreshold: 0.95, exactScanBelow: 1_000_000 });
    const p = new SpacePredictor('s');
    let drops = 0;
    let replaces = 0;
    for (let i = 0; i < 2000; i++) {
      const base = bases[(pick.next() >>> 0) % bases.length]!;
      const roll = (pick.next() >>> 0) % 4;
      // Cosines 0.9005..0.9995 to an earlier base, some below, most above the threshold, none within 5e-4
      // of it (float32 rounding of the server's arithmetic decides a pair at exactly 0.95).
      const v = roll === 0 ? Float32Array.from(base) : atCosine(base, 0.9005 + ((pick.next() >>> 0) % 100) / 1000, g);
      const confidence = [0.5, 0.7, 1][(pick.next() >>> 0) % 3]!;
      const id = `m${i}`;
      const actual = space.remember({ id, content: id, embedding: v, confidence, timestampMs: 0 });
      const predicted = p.write(id, v, confidence);
      if (actual.outcome === 'deduplicated') {
        drops++;
        expect(predicted).toMatchObject({ kind: 'dropped', survivor: actual.heldId });
      } else if (actual.outcome === 'replaced') {
        replaces++;
        expect(predicted.kind).toBe('replaces');
      } else {
        expect(predicted.kind).toBe('stored');
      }
    }
    expect(p.size).toBe(space.count);
    expect(drops).toBeGreaterThan(200);
    expect(replaces).toBeGreaterThan(50);
  });
});

describe('writeBatch: the same outcomes as one write at a time', () => {
  /** Writes with planted near-duplicates (some above, some below 0.95), exact repeats, updates of earlier ids and mixed confidences. */
  function writes(n: number, seed: number): Array<{ id: string; v: Float32Array; confidence: number }> {
    const g = rng(seed);
    const pick = xoroshiro128plus(seed + 1);
    const bases = Array.from({ length: Math.max(4, n / 10) }, () => randomUnit(g));
    const out: Array<{ id: string; v: Float32Array; confidence: number }> = [];
    for (let i = 0; i < n; i++) {
      const roll = (pick.next() >>> 0) % 10;
      const base = bases[(pick.next() >>> 0) % bases.length]!;
      // Cosines on a fine grid (two memories at exactly the same cosine to a write are a tie that float
      // rounding decides, on the server too), none within 5e-4 of the threshold.
      const c = 0.9005 + ((pick.next() >>> 0) % 99_000) / 1e6;
      const v = roll === 0 ? Float32Array.from(base) : atCosine(base, Math.abs(c - 0.95) < 5e-4 ? c + 1e-3 : c, g);
      const confidence = [0.5, 0.7, 1][(pick.next() >>> 0) % 3]!;
      const earlier = i > 0 ? out[(pick.next() >>> 0) % i]! : null;
      // One write in ten re-sends an earlier id with a new embedding (an update), one in ten re-sends an
      // earlier write as it was (a no-op when it is held).
      if (roll === 1 && earlier) out.push({ id: earlier.id, v, confidence });
      else if (roll === 2 && earlier) out.push({ ...earlier });
      else out.push({ id: `m${i}`, v, confidence });
    }
    return out;
  }

  async function compare(n: number, batch: number, options: { blockRows?: number } = {}) {
    const list = writes(n, 21);
    const plain = new SpacePredictor('s');
    const expected = list.map((w) => plain.write(w.id, w.v, w.confidence));
    const batched = new DedupPredictor(options);
    const actual: PredictedOutcome[] = [];
    try {
      for (let start = 0; start < n; start += batch) {
        const part = list.slice(start, start + batch);
        // One confidence per batch, as a run writes them: split the part where it changes.
        for (let at = 0; at < part.length; ) {
          let end = at + 1;
          while (end < part.length && part[end]!.confidence === part[at]!.confidence) end++;
          const run = part.slice(at, end);
          const embeddings = new Float32Array(run.length * D);
          run.forEach((w, j) => embeddings.set(w.v, j * D));
          actual.push(
            ...(await batched.writeBatch({
              ids: run.map((w) => w.id),
              spaces: run.map(() => 's'),
              rows: Uint32Array.from(run, (_, j) => j),
              embeddings,
              confidence: run[0]!.confidence,
            })),
          );
          at = end;
        }
      }
    } finally {
      await batched.close();
    }
    // Same outcomes; cosines from the matrix product and the plain scan agree to float32 rounding.
    const cosine = (o: PredictedOutcome): number => ('cosine' in o ? o.cosine : 0);
    const strip = (o: PredictedOutcome) => ({ ...o, cosine: 0 });
    expect(actual.map(strip)).toEqual(expected.map(strip));
    expect(Math.max(...actual.map((o, i) => Math.abs(cosine(o) - cosine(expected[i]!))))).toBeLessThan(1e-5);
    expect(batched.space('s').size).toBe(plain.size);
    return expected;
  }

  it('over 1,500 writes in batches of 64, across blocks of 128 rows, with drops, replacements and updates inside a batch', async () => {
    const expected = await compare(1500, 64, { blockRows: 128 });
    const kinds = new Set(expected.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['dropped', 'noop', 'replaces', 'stored']);
  });

  it('a query with more near-duplicates than TopK returns, whose best ones left earlier in the batch, still finds the rest', async () => {
    const g = rng(31);
    const base = randomUnit(g);
    // 12 memories at 0.96 to the base are ~0.92 to each other: all held, all near-duplicates of the base.
    const held = Array.from({ length: 12 }, () => atCosine(base, 0.96, g));
    const ids = held.map((_, j) => `h${j}`);
    const cosToBase = held.map((v) => v.reduce((sum, x, k) => sum + x * base[k]!, 0));
    const byCloseness = ids.map((id, j) => ({ id, c: cosToBase[j]! })).sort((x, y) => y.c - x.c);
    // Then one batch: the 9 closest (more than TopK = 8) are updated to far-away vectors, then the base is written.
    const moved = byCloseness.slice(0, 9).map((x) => x.id);
    const batch = [...moved.map((id) => ({ id, v: Float32Array.from(randomUnit(g)) })), { id: 'q', v: Float32Array.from(base) }];
    const plain = new SpacePredictor('s');
    const p = new DedupPredictor();
    const one = (list: Array<{ id: string; v: Float32Array }>) => {
      const embeddings = new Float32Array(list.length * D);
      list.forEach((w, j) => embeddings.set(w.v, j * D));
      return p.writeBatch({ ids: list.map((w) => w.id), spaces: list.map(() => 's'), rows: Uint32Array.from(list, (_, j) => j), embeddings, confidence: 0.5 });
    };
    try {
      const first = held.map((v, j) => ({ id: ids[j]!, v }));
      expect(await one(first)).toEqual(first.map((w) => plain.write(w.id, w.v, 0.5)));
      expect(plain.size).toBe(12);
      const expected = batch.map((w) => plain.write(w.id, w.v, 0.5));
      expect(expected.at(-1)).toMatchObject({ kind: 'dropped', survivor: byCloseness[9]!.id });
      expect(await one(batch)).toEqual(expected);
    } finally {
      await p.close();
    }
  });
});

describe('DedupGuard and the dedup map', () => {
  const gauss = rng(5);
  const A = Float32Array.from(randomUnit(gauss));
  const embeddings = new Float32Array(3 * D);
  embeddings.set(A, 0);
  embeddings.set(A, D);
  embeddings.set(Float32Array.from(randomUnit(gauss)), 2 * D);

  it('record: appends dropped id → survivor to the run dir map, which resolves replacements', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dedup-map-'));
    try {
      const guard = new DedupGuard({ mode: 'record', confidence: 1, map: await NdjsonAppender.open(dedupMapPath(dir), 0) });
      const found = await guard.check('Person', ['p1', 'p2', 'p3'], ['person', 'person', 'person'], Uint32Array.of(0, 1, 2), embeddings);
      expect(found.map((e) => [e.id, e.survivor, e.reason])).toEqual([['p2', 'p1', 'skipped']]);
      await guard.close();
      const map = await DedupMap.read(dedupMapPath(dir));
      expect(map.size).toBe(1);
      expect(map.lookup('person', 'p2')).toMatchObject({ survivor: 'p1', label: 'Person' });
      expect(map.lookup('person', 'p1')).toBeUndefined();
      expect(map.isSurvivor('person', 'p1')).toBe(true);
      expect(guard.summary()).toMatchObject({ checked: 3, dropped: 1, bySpace: [{ space: 'person', checked: 3, dropped: 1 }] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a chain of replacements resolves to the memory held now', () => {
    const map = new DedupMap([
      { space: 's', id: 'a', survivor: 'b', cosine: 0.97, label: 'L', reason: 'replaced' },
      { space: 's', id: 'b', survivor: 'c', cosine: 0.96, label: 'L', reason: 'replaced' },
    ]);
    expect(map.lookup('s', 'a')?.survivor).toBe('c');
    expect(map.lookup('t', 'a')).toBeUndefined();
  });

  it('refuse: throws DEDUP_PREDICTED naming the record and writes no map line', async () => {
    const guard = new DedupGuard({ mode: 'refuse', confidence: 1, map: null });
    const err = await guard.check('Person', ['p1', 'p2', 'p3'], ['person', 'person', 'person'], Uint32Array.of(0, 1, 2), embeddings).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrateError);
    expect((err as MigrateError).code).toBe('DEDUP_PREDICTED');
    expect((err as Error).message).toContain('p2');
    expect((err as Error).message).toContain('p1');
  });
});
