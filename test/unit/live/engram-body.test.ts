import { expect, it } from 'vitest';
import { engramRememberBody } from '../../../src/live/engram-graph-database.js';
import { embeddingText } from '../../../src/live/graph-database.js';
import { encodeOp, decodeOp } from '../../../src/live/dlq-entry.js';
import { engramRequest } from '../../../src/mapping/memory-encoding.js';
import { memory } from './memory-graph-database.js';

it("builds Engram's remember body byte for byte as the backfill's engramRequest does", () => {
  const m = { ...memory(3), content: 'quotes " and \\ and ünïcode', memoryType: 'Document', strength: 0.75 };
  const expected = engramRequest({ id: m.id, space: m.space, content: m.content, timestamp: m.timestamp!, memoryType: 'Document' }, m.embedding, 0.75);
  expect(engramRememberBody(m)).toBe(expected);
  expect(engramRememberBody({ ...m, embeddingText: embeddingText(m) })).toBe(expected);
  expect(JSON.parse(engramRememberBody(m)).embedding).toEqual(Array.from(m.embedding));
});

it('keeps the printed embedding out of the dead-letter journal', () => {
  const m = { ...memory(4), embeddingText: embeddingText(memory(4)) };
  const line = encodeOp({ kind: 'memory', memory: m });
  expect(line).not.toContain('embeddingText');
  expect(line.length).toBeLessThan(4_400);
  const back = decodeOp(JSON.parse(line));
  expect(back.kind === 'memory' && Array.from(back.memory.embedding)).toEqual(Array.from(m.embedding));
});

it('prints embeddings exactly as join does, for float32 and float64 arrays and edge values', () => {
  const f64 = [0.1, -0, 1e-7, -123456.789, 5e-324, 1 / 3];
  for (const e of [memory(9).embedding, f64, Float32Array.from(f64), []]) expect(embeddingText({ embedding: e })).toBe(Array.prototype.join.call(e, ','));
});
