import { describe, expect, it } from 'vitest';
import { MEMORY_PLACEHOLDER_EMBEDDING } from '../helpers/engram-double/index.js';
import { call, remember, unitVector, sharedDouble } from './double-client.js';

const double = sharedDouble();

describe('remember: ids, answer shape, dropped fields', () => {
  it('keeps an explicit id and answers 201 with the documented shape', async () => {
    const reply = await remember(double.url, { id: 'person:42', content: 'Ada', embedding: unitVector(1), confidence: 0.9 });
    expect(reply.status).toBe(201);
    expect(reply.json.memory_id).toBe('person:42');
    expect(Object.keys(reply.json).sort()).toEqual([
      'auto_links',
      'consolidation_state',
      'links',
      'memory_id',
      'observed_at',
      'storage_confidence',
      'stored_at',
      'system_message',
    ]);
    expect(reply.json.storage_confidence).toMatchObject({ value: 0.9, category: 'High' });
    expect(double.store.get('default', 'person:42')?.content).toBe('Ada');
  });

  it('makes mem_ + 8 hex digits when no id is sent', async () => {
    const reply = await remember(double.url, { content: 'anonymous', embedding: unitVector(2) });
    expect(reply.json.memory_id).toMatch(/^mem_[0-9a-f]{8}$/);
    expect(double.store.get('default', reply.json.memory_id)).toBeDefined();
  });

  it('stores the constant vector without embedding, so such memories collapse into one', async () => {
    await remember(double.url, { id: 'a', content: 'first' });
    const second = await remember(double.url, { id: 'b', content: 'second' });
    expect(second.status).toBe(201);
    expect(second.json.memory_id).toBe('b');
    expect(double.store.count('default')).toBe(1);
    expect(Array.from(double.store.get('default', 'a')!.embedding)).toEqual(Array.from(MEMORY_PLACEHOLDER_EMBEDDING));
  });

  it('defaults confidence to 0.7, uses timestamp as the memory time, echoes it as observed_at', async () => {
    const reply = await remember(double.url, { id: 't', content: 'dated', embedding: unitVector(3), timestamp: '2021-03-04T05:06:07+02:00' });
    expect(reply.json.observed_at).toBe('2021-03-04T03:06:07Z');
    const stored = double.store.get('default', 't')!;
    expect(stored.confidence).toBe(0.7);
    expect(new Date(stored.timestampMs).toISOString()).toBe('2021-03-04T03:06:07.000Z');
  });

  it('ignores unknown fields and drops tags, memory_type and confidence_reasoning', async () => {
    const reply = await remember(double.url, {
      id: 'u',
      content: 'c',
      embedding: unitVector(4),
      tags: ['x'],
      memory_type: 'procedural',
      confidence_reasoning: 'because',
      whatever: { nested: true },
    });
    expect(reply.status).toBe(201);
    const read = await call(double.url, 'GET', '/api/v1/memories/u');
    expect(read.json).toEqual({ id: 'u', content: 'c', confidence: 0.7, timestamp: expect.any(String), memory_type: 'episodic' });
  });
});

describe('remember: memory space selection', () => {
  const body = (space?: string): Record<string, unknown> =>
    space === undefined ? { id: 'm', content: 'c', embedding: unitVector(9) } : { id: 'm', content: 'c', embedding: unitVector(9), memory_space_id: space };

  it('takes the X-Memory-Space header over query and body', async () => {
    await remember(double.url, body('from_body'), { 'x-memory-space': 'from_header' }, '?space=from_query');
    expect(double.store.count('from_header')).toBe(1);
    expect(double.store.count('from_query') + double.store.count('from_body')).toBe(0);
  });

  it('takes ?space= over the body', async () => {
    await remember(double.url, body('from_body'), undefined, '?space=from_query');
    expect(double.store.count('from_query')).toBe(1);
    expect(double.store.count('from_body')).toBe(0);
  });

  it('takes the body memory_space_id when no header or query names one', async () => {
    await remember(double.url, body('from_body'));
    expect(double.store.count('from_body')).toBe(1);
    expect(double.store.count('default')).toBe(0);
  });

  it('falls back to default, and creates any valid space on first use', async () => {
    await remember(double.url, body());
    expect(double.store.count('default')).toBe(1);
    await remember(double.url, body(), { 'x-memory-space': 'typo-space_1' });
    expect(double.store.spaces()).toContain('typo-space_1');
  });

  it('keeps spaces apart: the same id and vector live in two spaces', async () => {
    await remember(double.url, body(), { 'x-memory-space': 'one' });
    await remember(double.url, body(), { 'x-memory-space': 'two' });
    expect([double.store.count('one'), double.store.count('two')]).toEqual([1, 1]);
  });
});
