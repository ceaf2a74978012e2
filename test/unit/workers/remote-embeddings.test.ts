import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { buildNodeBatch } from '../../../src/engine/node-batch.js';
import { workerModelOptions } from '../../../src/engine/worker-model-options.js';
import { WorkerPool } from '../../../src/engine/worker-pool.js';
import type { SourceNode } from '../../../src/mapping/types.js';
import type { NodeTask, NodeTaskResult } from '../../../workers/task-types.js';
import { fakeVector, startEmbeddingsDouble, type EmbeddingsDouble } from '../../helpers/embeddings-double.js';

// Runs the compiled worker (dist/): `npm run build` first.
let double: EmbeddingsDouble;
beforeAll(async () => {
  double = await startEmbeddingsDouble();
});
afterAll(() => double.stop());

function page(): SourceNode[] {
  const node = (id: string, embedding: unknown): SourceNode => ({
    elementId: `e-${id}`,
    label: 'Doc',
    labels: ['Doc'],
    keyValues: [id],
    properties: { id, content: `text of ${id}` },
    embedding: embedding as SourceNode['embedding'],
  });
  return [node('a', undefined), node('b', new Array(384).fill(0.5)), node('c', new Array(768).fill(0.25)), node('d', undefined)];
}

describe('worker threads with model.provider openai', () => {
  it('generate missing and wrong-width embeddings through the server, in row order, with the key from the config', async () => {
    const config = resolveConfig({
      mapping: { onWrongWidth: 'regenerate' },
      model: { provider: 'openai', url: double.url, name: 'bge-base-en-v1.5', apiKey: 'k-1', batchSize: 2, concurrency: 2, retryBaseMs: 1, retryMaxMs: 5 },
    });
    const pool = new WorkerPool({ workers: 1, inferenceThreads: 1 }, workerModelOptions(config.model));
    double.faults.push({ status: 429, retryAfter: '0' });
    try {
      const batch = buildNodeBatch(page());
      const task: NodeTask = {
        kind: 'nodes',
        ...batch,
        space: 'docs',
        shards: 1,
        key: { properties: ['id'], source: 'key', unique: true, reason: 'test' },
        mapping: config.mapping,
        encoding: 'engram-json',
        now: '2024-01-01T00:00:00.000Z',
        duplicates: [],
        dryRun: false,
      };
      const result = await pool.run<NodeTaskResult>(task);
      expect([result.rejects, result.generated, result.regeneratedWrongWidth, result.copied]).toEqual([[], 3, 1, 1]);
      for (const [row, id] of [
        [0, 'a'],
        [1, 'b'],
        [3, 'd'],
      ] as const) {
        const want = fakeVector(`text of ${id}`);
        const norm = Math.hypot(...want);
        expect(batch.embeddings[row * 768 + 5]).toBeCloseTo(want[5]! / norm, 5);
      }
      expect(batch.embeddings[2 * 768]).toBeCloseTo(0.25, 6);
      expect(double.requests.every((r) => r.headers.authorization === 'Bearer k-1')).toBe(true);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('stop the batch with an error naming the server and the model when it answers another width', async () => {
    const config = resolveConfig({ model: { provider: 'openai', url: double.url, name: 'all-MiniLM-L6-v2', retryBaseMs: 1, retryMaxMs: 5 } });
    const pool = new WorkerPool({ workers: 1, inferenceThreads: 1 }, workerModelOptions(config.model));
    double.faults.push({ width: 384 });
    try {
      const batch = buildNodeBatch(page().slice(0, 1));
      const task: NodeTask = {
        kind: 'nodes',
        ...batch,
        space: 'docs',
        shards: 1,
        key: { properties: ['id'], source: 'key', unique: true, reason: 'test' },
        mapping: config.mapping,
        encoding: 'engram-json',
        now: '2024-01-01T00:00:00.000Z',
        duplicates: [],
        dryRun: false,
      };
      const err = (await pool.run(task).catch((e: unknown) => e)) as Error & { code?: string };
      expect(err.message).toMatch(/all-MiniLM-L6-v2.*384-wide/);
      expect(err.message).toContain(double.url);
    } finally {
      await pool.close();
    }
  }, 30_000);
});
