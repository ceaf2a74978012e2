import { expect, it } from 'vitest';
import { engramRememberBody } from '../../../src/live/adapters/engram-graph-database.js';
import { embeddingText } from '../../../src/live/graph-database.js';
import { encodeOp, decodeOp } from '../../../src/live/dlq/dlq-entry.js';
import { engramRequest, joinFloat32 } from '../../../src/mapping/memory-encoding.js';
import { memory } from './memory-graph-database.js';

it("builds Engram's remember body byte for byte as the backfill's engramRequest does", () => {
  const m = { ...memory(3), content: 'quotes " and \\ and ünïcode', memoryType: 'Document', strength: 0.75 };
  const expected = engramRequest({ id: m.id, space: m.space, content: m.content, timestamp: m.timestamp!, memoryType: 'Document' }, m.embedding, 0.75);
  expect(engramRememberBody(m)).toBe(expected);
  expect(engramRememberBody({ ...m, embeddingText: embeddingText(m) })).toBe(expected);
  expect(Float32Array.from(JSON.parse(engramRememberBody(m)).embedding as number[])).toEqual(m.embedding);
});

it('keeps the printed embedding out of the dead-letter journal', () => {
  const m = { ...memory(4), embeddingText: embeddingText(memory(4)) };
  const line = encodeOp({ kind: 'memory', memory: m });
  expect(line).not.toContain('embeddingText');
  expect(line.length).toBeLessThan(4_400);
  const back = decodeOp(JSON.parse(line));
  expect(back.kind === 'memory' && Array.from(back.memory.embedding)).toEqual(Array.from(m.embedding));
});

it('prints float64 arrays exactly as join does', () => {
  const f64 = [0.1, -0, 1e-7, -123456.789, 5e-324, 1 / 3];
  for (const e of [f64, []]) expect(embeddingText({ embedding: e })).toBe(Array.prototype.join.call(e, ','));
});

it('prints float32 embeddings so that every component parses back to the same float32', () => {
  const e = memory(9).embedding as Float32Array;
  const text = embeddingText({ embedding: e });
  expect(text).toBe(joinFloat32(e));
  expect(Float32Array.from(JSON.parse(`[${text}]`) as number[])).toEqual(e);
  expect(text.length).toBeLessThan(0.75 * Array.prototype.join.call(e, ',').length); // 9 digits, not 17
});

it('prints every kind of float32 value as a decimal that parses back to it', () => {
  const edge = [
    0,
    -0,
    1,
    -1,
    0.1,
    1e-5,
    -9.99999e-6,
    1e-5 - 1e-12,
    0.30000001192092896,
    99999999,
    999999999,
    1e9,
    10,
    100.5,
    123456.7,
    3.4028234663852886e38,
    -3.4028234663852886e38,
    1.401298464324817e-45,
    1.1754943508222875e-38,
    0.999999999,
    9.9999999e-6,
  ];
  const random = new Float32Array(200_000);
  const bits = new Uint32Array(random.buffer);
  let seed = 12345;
  for (let i = 0; i < bits.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    bits[i] = seed;
  }
  // spread over all exponents (random bits) plus the range embeddings live in
  const values = Float32Array.from([...edge, ...random.filter(Number.isFinite), ...Array.from({ length: 50_000 }, (_, i) => Math.sin(i) * 0.2)]);
  const parsed = JSON.parse(`[${joinFloat32(values)}]`) as number[];
  expect(parsed).toHaveLength(values.length);
  const wrong = values.filter((v, i) => Math.fround(parsed[i]!) !== v && !(v === 0 && parsed[i] === 0));
  expect(wrong).toEqual(new Float32Array(0));
  expect(joinFloat32(Float32Array.from([0.5, -2, 1e-7, 250, 0.000123]))).toBe('0.5,-2,1.00000001e-7,250,0.000123000005');
  expect(joinFloat32(new Float32Array(0))).toBe('');
});
