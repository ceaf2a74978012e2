import { Piscina } from 'piscina';
import { describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import run from '../../../workers/backfill-worker.js';
import { spaceOf } from '../../../src/mapping/shard.js';
import { EMBEDDING_ABSENT, EMBEDDING_BAD_WIDTH, EMBEDDING_PRESENT, type NodeTask, type NodeTaskResult } from '../../../workers/task-types.js';

describe('backfill worker: node batches', () => {
  it('encodes record by record: no string holds more than one memory of the batch', async () => {
    const n = 30;
    const big = 'y'.repeat(90_000);
    const task: NodeTask = {
      kind: 'nodes',
      nodes: Array.from({ length: n }, (_, i) => ({
        elementId: `e${i}`,
        label: 'Document',
        labels: ['Document'],
        keyValues: [`d${String(i).padStart(3, '0')}`],
        properties: { id: `d${String(i).padStart(3, '0')}`, content: big },
      })),
      embeddings: new Float32Array(n * 768).fill(0.25),
      embeddingState: new Uint8Array(n).fill(EMBEDDING_PRESENT),
      embeddingDetail: Array.from({ length: n }, () => null),
      space: 'documents',
      shards: 1,
      key: { properties: ['id'], source: 'key', unique: true, reason: 'test' },
      mapping: resolveConfig({ mapping: { contentTemplates: { Document: '{content}' } } }).mapping,
      encoding: 'engram-json',
      now: '2024-01-01T00:00:00.000Z',
      duplicates: [],
      dryRun: false,
    };
    const join = vi.spyOn(Array.prototype, 'join');
    let longest = 0;
    let moved: unknown;
    try {
      moved = await run(task);
      longest = Math.max(0, ...join.mock.results.map((r) => (typeof r.value === 'string' ? r.value.length : 0)));
    } finally {
      join.mockRestore();
    }
    const result = ((moved as Record<symbol, unknown>)[Piscina.valueSymbol] ?? moved) as NodeTaskResult;
    expect(result.rejects).toEqual([]);
    expect(result.ids).toHaveLength(n);
    expect(result.offsets[n]).toBe(result.bytes.byteLength);
    expect(result.bytes.byteLength).toBeGreaterThan(n * 90_000);
    expect(longest).toBeLessThan(2 * 100_000);
    expect(JSON.parse(Buffer.from(result.bytes.subarray(result.offsets[2], result.offsets[3])).toString('utf8'))).toMatchObject({ id: 'd002', content: big });
  });

  it.each(['engram-json', 'bundle-ndjson'] as const)('puts each memory in the shard its id hashes to, each record naming its shard (%s)', async (encoding) => {
    const n = 40;
    const layout = { space: 'documents', shards: 3 };
    const task: NodeTask = {
      kind: 'nodes',
      nodes: Array.from({ length: n }, (_, i) => ({
        elementId: `e${i}`,
        label: 'Document',
        labels: ['Document'],
        keyValues: [`d${i}`],
        properties: { id: `d${i}`, content: `doc ${i}` },
      })),
      embeddings: new Float32Array(n * 768).fill(0.25),
      embeddingState: new Uint8Array(n).fill(EMBEDDING_PRESENT),
      embeddingDetail: Array.from({ length: n }, () => null),
      ...layout,
      key: { properties: ['id'], source: 'key', unique: true, reason: 'test' },
      mapping: resolveConfig({}).mapping,
      encoding,
      now: '2024-01-01T00:00:00.000Z',
      duplicates: [],
      dryRun: false,
    };
    const moved = await run(task);
    const result = ((moved as Record<symbol, unknown>)[Piscina.valueSymbol] ?? moved) as NodeTaskResult;
    expect(result.ids).toHaveLength(n);
    expect(result.spaces).toEqual(result.ids.map((id) => spaceOf(id, layout)));
    if (encoding === 'bundle-ndjson') {
      // grouped by shard: one append per space file
      expect(result.spaces).toEqual([...result.spaces].sort());
    } else {
      // Engram's requests in the page's order, shards interleaved: concurrent writes spread over them
      expect(Array.from(result.rows)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(result.spaces).not.toEqual([...result.spaces].sort());
    }
    expect(new Set(result.spaces).size).toBe(3);
    result.ids.forEach((id, i) => {
      const body = JSON.parse(Buffer.from(result.bytes.subarray(result.offsets[i], result.offsets[i + 1])).toString('utf8')) as {
        id: string;
        memory_space_id: string;
      };
      expect(body).toMatchObject({ id, memory_space_id: spaceOf(id, layout) });
      expect(task.nodes[result.rows[i]!]!.keyValues[0]).toBe(id);
    });
  });

  it.each([
    ['reject', 1, 1, 0],
    ['regenerate', 0, 2, 1],
  ] as const)(
    'a 384-wide stored embedding with onWrongWidth %s: %i rejected, %i to generate, %i counted as wrong width',
    async (onWrongWidth, rejected, toGenerate, wrong) => {
      const task: NodeTask = {
        kind: 'nodes',
        nodes: ['a', 'b', 'c'].map((id, i) => ({
          elementId: `e${i}`,
          label: 'Document',
          labels: ['Document'],
          keyValues: [id],
          properties: { id, content: `text ${id}` },
        })),
        embeddings: new Float32Array(3 * 768),
        embeddingState: Uint8Array.from([EMBEDDING_PRESENT, EMBEDDING_BAD_WIDTH, EMBEDDING_ABSENT]),
        embeddingDetail: [null, 'embedding has 384 numbers; Engram takes exactly 768', null],
        space: 'documents',
        shards: 1,
        key: { properties: ['id'], source: 'key', unique: true, reason: 'test' },
        mapping: resolveConfig({ mapping: { onWrongWidth } }).mapping,
        encoding: 'engram-json',
        now: '2024-01-01T00:00:00.000Z',
        duplicates: [],
        dryRun: true,
      };
      const result = (await run(task)) as NodeTaskResult;
      expect([result.rejects.length, result.toGenerate, result.regeneratedWrongWidth, result.copied]).toEqual([rejected, toGenerate, wrong, 1]);
      if (rejected) expect(result.rejects[0]).toMatchObject({ id: 'b', code: 'EMBEDDING_WIDTH' });
    },
  );
});
