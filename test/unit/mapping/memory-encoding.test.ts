import { expect, it } from 'vitest';
import { engramRequest, packEngramRequests } from '../../../src/mapping/memory-encoding.js';

it('packs remember requests byte for byte as engramRequest writes them, one record per offset range', () => {
  const nodes = [
    { id: 'a', space: 's', content: 'plain', timestamp: '2024-01-01T00:00:00.000Z', memoryType: 'Document' },
    { id: '~c:["é","1"]', space: 's-1', content: 'quotes " \\ ünïcode 🙂 and a\nnewline', timestamp: '2024-01-02T00:00:00.000Z', memoryType: 'Person' },
    { id: 'empty', space: 's', content: '', timestamp: '2024-01-03T00:00:00.000Z', memoryType: 'Document' },
  ];
  const embeddings = nodes.map((_, k) => Float32Array.from({ length: 768 }, (_, i) => (k === 2 ? 0 : Math.sin(i * (k + 1)) * 10 ** ((i % 14) - 5))));
  const packed = packEngramRequests(nodes.length, (i) => ({ node: nodes[i]!, embedding: embeddings[i]!, strength: 0.25 * (i + 1) }));
  const expected = nodes.map((n, i) => Buffer.from(engramRequest(n, embeddings[i]!, 0.25 * (i + 1)), 'utf8'));
  expect(Array.from(packed.offsets)).toEqual([0, ...expected.map((_, i) => expected.slice(0, i + 1).reduce((s, b) => s + b.length, 0))]);
  expect(Buffer.from(packed.bytes).equals(Buffer.concat(expected))).toBe(true);
  expect(packed.bytes.byteOffset).toBe(0);
  expect(packed.bytes.buffer.byteLength).toBe(packed.bytes.byteLength); // its own buffer, transferable as is
  expect(Float32Array.from(JSON.parse(Buffer.from(packed.bytes.subarray(packed.offsets[1], packed.offsets[2])).toString()).embedding)).toEqual(embeddings[1]);
  expect(packEngramRequests(0, () => ({ node: nodes[0]!, embedding: embeddings[0]!, strength: 1 })).bytes.byteLength).toBe(0);
});
