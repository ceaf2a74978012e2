import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { contentFor, mapNode, spaceForLabel, textForEmbedding, timestampFor } from '../../../src/mapping/node-mapper.js';
import type { LabelKey, SourceNode } from '../../../src/mapping/types.js';

const mapping = resolveConfig({}).mapping;
const NOW = '2026-01-01T00:00:00.000Z';
const KEY: LabelKey = { properties: ['id'], source: 'constraint', unique: true, reason: 'test' };

function node(over: Partial<SourceNode> = {}): SourceNode {
  return {
    elementId: '4:x:1',
    label: 'Document',
    labels: ['Document'],
    keyValues: ['uuid-2'],
    properties: { id: 'uuid-2', content: 'Machine learning paper', created_at: '2024-03-01T10:00:00Z' },
    embedding: undefined,
    ...over,
  };
}

describe('mapNode', () => {
  it('maps the article example: id, space, type, stable JSON content, timestamp, generation text', () => {
    const r = mapNode(node(), { kind: 'absent' }, mapping, 'document', NOW, KEY);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.node).toEqual({
      id: 'uuid-2',
      space: 'document',
      label: 'Document',
      memoryType: 'Document',
      content: '{"content":"Machine learning paper","created_at":"2024-03-01T10:00:00Z","id":"uuid-2"}',
      timestamp: '2024-03-01T10:00:00.000Z',
      generateFrom: 'Machine learning paper',
      timestampDefaulted: false,
      wrongWidthRegenerated: false,
    });
  });

  it('copies a present embedding (no generation text)', () => {
    const r = mapNode(node(), { kind: 'present' }, mapping, 'document', NOW, KEY);
    expect(r.ok && r.node.generateFrom).toBeNull();
  });

  it.each([
    [{ keyValues: [null] }, 'MISSING_KEY', 'id'],
    [{ keyValues: [''] }, 'INVALID_KEY', 'id'],
    [{ keyValues: [1.5] }, 'INVALID_KEY', 'id'],
    [{ keyValues: [true] }, 'INVALID_KEY', 'id'],
  ] as const)('rejects a bad key %j as %s naming field %s', (over, code, field) => {
    const r = mapNode(node(over as unknown as Partial<SourceNode>), { kind: 'absent' }, mapping, 'document', NOW, KEY);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reject.code).toBe(code);
    expect(r.reject.field).toBe(field);
    expect(r.reject.elementId).toBe('4:x:1');
  });

  it('regenerates a wrong-width embedding from the text with mapping.onWrongWidth: regenerate, and marks it', () => {
    const wide = { kind: 'invalid', code: 'EMBEDDING_WIDTH', detail: 'embedding has 384 numbers' } as const;
    const r = mapNode(node(), wide, { ...mapping, onWrongWidth: 'regenerate' }, 'document', NOW, KEY);
    expect(r.ok && [r.node.generateFrom, r.node.wrongWidthRegenerated]).toEqual(['Machine learning paper', true]);
    // Even with generateMissingEmbeddings off: the option asks for it explicitly.
    const off = mapNode(node(), wide, { ...mapping, onWrongWidth: 'regenerate', generateMissingEmbeddings: false }, 'document', NOW, KEY);
    expect(off.ok && off.node.wrongWidthRegenerated).toBe(true);
    // A value that is not a list of numbers is still rejected.
    const bad = mapNode(
      node(),
      { kind: 'invalid', code: 'EMBEDDING_INVALID', detail: 'embedding is a string' },
      { ...mapping, onWrongWidth: 'regenerate' },
      'document',
      NOW,
      KEY,
    );
    expect(bad.ok ? null : bad.reject.code).toBe('EMBEDDING_INVALID');
    const textless = mapNode(
      node({ properties: {} }),
      wide,
      { ...mapping, onWrongWidth: 'regenerate', contentTemplates: { Document: 'x' } },
      'document',
      NOW,
      KEY,
    );
    expect(textless.ok ? null : [textless.reject.code, textless.reject.reason.startsWith('embedding has 384 numbers')]).toEqual([
      'NO_TEXT_FOR_EMBEDDING',
      true,
    ]);
  });

  it('rejects an invalid embedding with the detail the source found', () => {
    const r = mapNode(node(), { kind: 'invalid', code: 'EMBEDDING_WIDTH', detail: 'embedding has 3 numbers' }, mapping, 'document', NOW, KEY);
    expect(r.ok ? null : [r.reject.code, r.reject.field, r.reject.reason]).toEqual(['EMBEDDING_WIDTH', 'embedding', 'embedding has 3 numbers']);
  });

  it('rejects content over 100,000 bytes, counting UTF-8 bytes not characters', () => {
    const fits = 'é'.repeat(49_000); // 98,000 bytes
    expect(
      mapNode(node({ properties: { content: fits } }), { kind: 'present' }, { ...mapping, contentTemplates: { Document: '{content}' } }, 'document', NOW, KEY)
        .ok,
    ).toBe(true);
    const tooBig = 'é'.repeat(50_001); // 100,002 bytes, 50,001 characters
    const r = mapNode(
      node({ properties: { content: tooBig } }),
      { kind: 'present' },
      { ...mapping, contentTemplates: { Document: '{content}' } },
      'document',
      NOW,
      KEY,
    );
    expect(r.ok ? null : r.reject.code).toBe('CONTENT_TOO_LARGE');
  });

  it('rejects an unsupported property type naming the field, unless it is excluded', () => {
    const props = { id: 'a', content: 'x', location: { $unsupported: 'Point' } };
    const r = mapNode(node({ properties: props }), { kind: 'present' }, mapping, 'document', NOW, KEY);
    expect(r.ok ? null : [r.reject.code, r.reject.field]).toEqual(['UNSUPPORTED_PROPERTY', 'location']);
    const excluded = mapNode(node({ properties: props }), { kind: 'present' }, { ...mapping, excludeProperties: ['location'] }, 'document', NOW, KEY);
    expect(excluded.ok && excluded.node.content).toBe('{"content":"x","id":"a"}');
  });

  it('rejects a node with no embedding and no text to generate one from', () => {
    const r = mapNode(node({ properties: {} }), { kind: 'absent' }, { ...mapping, contentTemplates: { Document: 'a document' } }, 'document', NOW, KEY);
    expect(r.ok ? null : [r.reject.code, r.reject.field]).toEqual(['NO_TEXT_FOR_EMBEDDING', 'embedding']);
    const numbers = mapNode(node({ properties: { pages: 3, total: 9.5 } }), { kind: 'absent' }, mapping, 'document', NOW, KEY);
    expect(numbers.ok && numbers.node.generateFrom).toBe('{"pages":3,"total":9.5}');
  });

  it('keys by integers, 64-bit ones included, and by composite keys and element ids (memory-id.ts)', () => {
    const id = (keyValues: SourceNode['keyValues'], key: LabelKey = KEY): string | null => {
      const r = mapNode(node({ keyValues }), { kind: 'present' }, mapping, 'document', NOW, key);
      return r.ok ? r.node.id : null;
    };
    expect(id([16961])).toBe('16961');
    expect(id([9223372036854775807n])).toBe('9223372036854775807');
    expect(id(['16961'])).toBe('~s:16961');
    expect(id(['Alice', 1987], { ...KEY, properties: ['name', 'born'] })).toBe('~c:["Alice","1987"]');
    expect(id([], { properties: [], source: 'element-id', unique: true, reason: 'none' })).toBe('~e:4:x:1');
  });

  it('names the key, why it was chosen, and the property when a node lacks it', () => {
    const key: LabelKey = { properties: ['title'], source: 'constraint', unique: true, reason: "the database's uniqueness constraint movie_title on (title)" };
    const r = mapNode(node({ keyValues: [null] }), { kind: 'present' }, mapping, 'document', NOW, key);
    expect(r.ok ? null : r.reject.reason).toBe("node has no title property (key title: the database's uniqueness constraint movie_title on (title))");
  });

  it('generates from the other string properties when a label has none of the default text properties', () => {
    const r = mapNode(
      node({ properties: { summary: 'An amazing journey', rating: 95, author: 'Jessica' } }),
      { kind: 'absent' },
      mapping,
      'document',
      NOW,
      KEY,
    );
    expect(r.ok && r.node.generateFrom).toBe('author: Jessica\nsummary: An amazing journey');
  });

  it('says when a node had no timestamp and got the run time', () => {
    const r = mapNode(node({ properties: { content: 'x' } }), { kind: 'present' }, mapping, 'document', NOW, KEY);
    expect(r.ok && [r.node.timestamp, r.node.timestampDefaulted]).toEqual([NOW, true]);
  });

  it('rejects an epoch timestamp beyond what a Date holds instead of throwing', () => {
    const r = mapNode(node({ properties: { content: 'x', created_at: 8.64e15 + 1 } }), { kind: 'present' }, mapping, 'document', NOW, KEY);
    expect(r.ok ? null : [r.reject.code, r.reject.field]).toEqual(['INVALID_TIMESTAMP', 'created_at']);
  });

  it('maps labels and properties named like Object.prototype members', () => {
    const n = node({ label: 'constructor', properties: { toString: 'x', ['__proto__']: 'y', content: 'c' } as SourceNode['properties'] });
    const r = mapNode(n, { kind: 'absent' }, mapping, 'constructor', NOW, KEY);
    expect(r.ok && [r.node.memoryType, r.node.generateFrom]).toEqual(['constructor', 'c']);
  });

  it('rejects an unparseable timestamp naming the property', () => {
    const r = mapNode(node({ properties: { id: 'a', content: 'x', created_at: 'yesterday' } }), { kind: 'present' }, mapping, 'document', NOW, KEY);
    expect(r.ok ? null : [r.reject.code, r.reject.field]).toEqual(['INVALID_TIMESTAMP', 'created_at']);
  });
});

describe('mapping helpers', () => {
  it('keeps content stable whatever the property order, with big integers exact', () => {
    const a = contentFor(node({ properties: { b: 1, a: 9007199254740993n } }), mapping);
    const b = contentFor(node({ properties: { a: 9007199254740993n, b: 1 } }), mapping);
    expect(a).toBe('{"a":9007199254740993,"b":1}');
    expect(b).toBe(a);
  });

  it('renders a content template', () => {
    expect(contentFor(node({ properties: { name: 'Alice', age: 3 } }), { ...mapping, contentTemplates: { Document: '{name} ({age})' } })).toBe('Alice (3)');
  });

  it('joins configured text properties, and takes the first present default one', () => {
    const n = node({ properties: { title: 'T', content: 'C' } });
    expect(textForEmbedding(n, { ...mapping, textProperties: { Document: ['title', 'content'] } })).toBe('T\nC');
    expect(textForEmbedding(n, mapping)).toBe('C');
  });

  it('normalises Neo4j temporal strings to RFC 3339', () => {
    expect(timestampFor('2024-01-02T03:04:05.123456789+01:00[Europe/Paris]', NOW)).toBe('2024-01-02T02:04:05.123Z');
    expect(timestampFor('2024-01-02T03:04:05', NOW)).toBe('2024-01-02T03:04:05.000Z');
    expect(timestampFor('2024-01-02', NOW)).toBe('2024-01-02T00:00:00.000Z');
    expect(timestampFor(undefined, NOW)).toBe(NOW);
    expect(timestampFor(true, NOW)).toBeNull();
  });

  it('derives spaces from labels and refuses ones Engram would not accept', () => {
    expect(spaceForLabel('Person', mapping)).toBe('person');
    expect(spaceForLabel('Person', { ...mapping, spaces: { Person: 'people' } })).toBe('people');
    expect(() => spaceForLabel('X', mapping)).toThrow(/mapping.defaultSpace.*"x"/);
  });
});
