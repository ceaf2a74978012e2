import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { backoffDelay } from '../../../src/engine/retry.js';
import { engramRequest } from '../../../src/mapping/memory-encoding.js';
import { EngramTarget } from '../../../src/target/engram-target.js';
import type { EncodedMemoryBatch, WriteGate } from '../../../src/target/target.js';
import { vector } from '../../helpers/bundle-fixture.js';
import { rememberEcho, startTinyServer, type TinyAnswer, type TinyRequest, type TinyServer } from '../../helpers/tiny-http.js';

const gate: WriteGate = { schedule: (_w, job) => job(), concurrency: 1 };
let server: TinyServer | null = null;
let target: EngramTarget | null = null;

afterEach(async () => {
  await target?.close();
  await server?.stop();
  target = null;
  server = null;
});

function batch(n: number): EncodedMemoryBatch {
  const ids = Array.from({ length: n }, (_, i) => `m${i}`);
  const bodies = ids.map((id) =>
    Buffer.from(engramRequest({ id, space: 'docs', content: `c ${id}`, timestamp: '2024-01-01T00:00:00.000Z', memoryType: 'Doc' }, vector(1), 1)),
  );
  const offsets = new Uint32Array(n + 1);
  bodies.forEach((b, i) => (offsets[i + 1] = offsets[i]! + b.length));
  return { ids, spaces: ids.map(() => 'docs'), bytes: new Uint8Array(Buffer.concat(bodies)), offsets };
}

async function engram(handler: (req: TinyRequest, i: number) => TinyAnswer | Promise<TinyAnswer>): Promise<EngramTarget> {
  server = await startTinyServer(handler);
  target = new EngramTarget({ url: server.url, capacityPerSpace: 100_000, maxRetries: 3, retryBaseMs: 1, retryMaxMs: 5 });
  return target;
}

describe('EngramTarget answers', () => {
  it('a 3xx is an error (exit 4), not a write', async () => {
    const t = await engram(() => ({ status: 302, headers: { location: 'http://elsewhere/' } }));
    const err = await t.writeMemories(batch(1), gate).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_HTTP', status: 302 });
    expect(exitCodeFor(err)).toBe(4);
  });

  it('a memory_id other than the id sent makes the record a reject with the reason', async () => {
    const t = await engram((req, i) => (i === 1 ? { status: 201, body: { memory_id: 'mem_1a2b3c4d' } } : rememberEcho(req)));
    const result = await t.writeMemories(batch(3), gate);
    expect(result.written).toBe(2);
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]).toMatchObject({ id: 'm1', code: 'TARGET_REJECTED', reason: expect.stringContaining('mem_1a2b3c4d') });
  });

  it('retries a 408', async () => {
    const t = await engram((req, i) => (i === 0 ? { status: 408, body: 'timeout' } : rememberEcho(req)));
    const result = await t.writeMemories(batch(1), gate);
    expect(result).toEqual({ written: 1, rejects: [] });
    expect(server!.requests).toHaveLength(2);
  });

  it('stops the run after 20 identical 404s instead of rejecting the whole graph', async () => {
    const t = await engram(() => ({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no route' } } }));
    const err = await t.writeMemories(batch(60), gate).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_HTTP', status: 404, message: expect.stringMatching(/20 consecutive identical answers 404 NOT_FOUND/) });
    expect(exitCodeFor(err)).toBe(4);
    expect(server!.requests.length).toBe(20);
  });

  it('keeps rejecting records whose own content earns a 400', async () => {
    const t = await engram(() => ({ status: 400, body: { error: { code: 'INVALID_MEMORY_INPUT', message: 'bad' } } }));
    const result = await t.writeMemories(batch(30), gate);
    expect(result).toMatchObject({ written: 0, rejects: expect.arrayContaining([expect.objectContaining({ code: 'TARGET_REJECTED' })]) });
    expect(result.rejects).toHaveLength(30);
  });

  it('a success in between resets the count of identical 4xx answers', async () => {
    const t = await engram((req, i) => (i % 15 === 14 ? rememberEcho(req) : { status: 404, body: { error: { code: 'MEMORY_NOT_FOUND', message: 'gone' } } }));
    const result = await t.writeMemories(batch(60), gate);
    expect(result.written).toBe(4);
    expect(result.rejects).toHaveLength(56);
  });
});

describe('retry delays', () => {
  it('cap a server Retry-After at retryMaxMs', () => {
    expect(backoffDelay(0, { baseMs: 10, maxMs: 1_000, random: () => 0 }, 3_600_000)).toBe(1_000);
    expect(backoffDelay(0, { baseMs: 10, maxMs: 1_000, random: () => 0 }, 300)).toBe(300);
  });
});

describe('EngramTarget lanes', () => {
  const idOf = (r: TinyRequest): string => (JSON.parse(r.body) as { id: string }).id;

  it('without a rate, four lanes send one record at a time, in the batch order (one space)', async () => {
    await engram(rememberEcho);
    const unrated: WriteGate = { schedule: (_w, job) => job(), concurrency: 4 };
    expect(await target!.writeMemories(batch(40), unrated)).toEqual({ written: 40, rejects: [] });
    // requests start in order; with four in flight, none may start more than three places early
    const order = server!.requests.map((r) => Number(idOf(r).slice(1)));
    order.forEach((id, at) => expect(Math.abs(id - at)).toBeLessThanOrEqual(3));
  });

  it('a sharded batch keeps every space busy: a free lane goes to the space with the fewest requests in flight', async () => {
    // Engram serves one request per space at a time (each write scans its space under the space's lock);
    // the batch has its records in runs of eight per space, as a hash may leave them. The server answers
    // nothing until four requests are in, so those four are exactly what the four lanes took first.
    let release: () => void = () => undefined;
    const firstFour = new Promise<void>((r) => (release = r));
    await engram(async (req, i) => {
      if (i === 3) release();
      await firstFour;
      return rememberEcho(req);
    });
    const spaces = Array.from({ length: 48 }, (_, i) => (Math.floor(i / 8) % 2 === 0 ? 'docs-0' : 'docs-1'));
    const unrated: WriteGate = { schedule: (_w, job) => job(), concurrency: 4 };
    expect(await target!.writeMemories({ ...batch(48), spaces }, unrated)).toEqual({ written: 48, rejects: [] });
    const ids = server!.requests.map((r) => Number(idOf(r).slice(1)));
    // in the batch's order all four would have gone to docs-0 (records 0-3); spread, two per space
    expect(ids.slice(0, 4).sort((x, y) => x - y)).toEqual([0, 1, 8, 9]);
    // and each space's records leave in the batch's order (requests in flight together may arrive swapped)
    for (const space of ['docs-0', 'docs-1']) {
      const sent = ids.filter((id) => spaces[id] === space);
      const inOrder = [...sent].sort((x, y) => x - y);
      sent.forEach((id, at) => expect(Math.abs(inOrder.indexOf(id) - at)).toBeLessThanOrEqual(3));
    }
  });

  it('with a rate, lanes take contiguous chunks (few jobs for the bucket)', async () => {
    await engram(rememberEcho);
    const weights: number[] = [];
    const rated: WriteGate = { schedule: (w, job) => (weights.push(w), job()), concurrency: 4, rated: true };
    expect(await target!.writeMemories(batch(40), rated)).toEqual({ written: 40, rejects: [] });
    expect(weights).toEqual([10, 10, 10, 10]);
  });
});
