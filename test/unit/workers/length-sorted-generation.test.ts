import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { createEmbedder } from '../../../src/embed/embedder.js';
import { buildNodeBatch } from '../../../src/engine/node-batch.js';
import { workerModelOptions } from '../../../src/engine/worker-model-options.js';
import { WorkerPool } from '../../../src/engine/worker-pool.js';
import type { SourceNode } from '../../../src/mapping/types.js';
import type { NodeTask, NodeTaskResult } from '../../../workers/task-types.js';

// Runs the compiled worker (dist/) on models/tiny (npm run setup).
const TEXTS = [
  'Ada',
  'a long document about graph migration '.repeat(20),
  'Bob Smith',
  'a medium note on cosine checks and shadow reads',
  'x',
  'another long text on embeddings '.repeat(12),
];

describe('worker generation sorted by length', () => {
  it('writes each generated vector to its own row, as embedding the text alone would', async () => {
    const config = resolveConfig({ model: { path: resolve('models/tiny'), batchSize: 2, tokensPerBatch: 64 } });
    expect(config.model.sortByLength).toBe(true);
    const pool = new WorkerPool({ workers: 1, inferenceThreads: 1 }, workerModelOptions(config.model));
    const alone = await createEmbedder({ model: resolve('models/tiny') });
    try {
      const page: SourceNode[] = TEXTS.map((content, i) => ({
        elementId: `e${i}`,
        label: 'Doc',
        labels: ['Doc'],
        keyValues: [`d${i}`],
        properties: { id: `d${i}`, content },
        embedding: undefined,
      }));
      const batch = buildNodeBatch(page);
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
      expect(result.generated).toBe(TEXTS.length);
      const one = new Float32Array(768);
      for (let row = 0; row < TEXTS.length; row++) {
        await alone.embed([TEXTS[row]!], one);
        let dot = 0;
        for (let k = 0; k < 768; k++) dot += one[k]! * batch.embeddings[row * 768 + k]!;
        expect(dot, `row ${row}`).toBeGreaterThan(0.99999);
      }
    } finally {
      await alone.dispose();
      await pool.close();
    }
  }, 60_000);
});
