import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { mapRelationship } from '../../../src/mapping/edge-mapper.js';
import { encodeEdge } from '../../../src/mapping/memory-encoding.js';
import type { LabelKey, RelationshipEnd, SourceRelationship } from '../../../src/mapping/types.js';

const mapping = resolveConfig({}).mapping;
const spaceOf = (label: string): string => label.toLowerCase();
const KEYS: Record<string, LabelKey> = {
  Person: { properties: ['name'], source: 'constraint', unique: true, reason: 'test' },
  Movie: { properties: ['id'], source: 'constraint', unique: true, reason: 'test' },
  Place: { properties: [], source: 'element-id', unique: true, reason: 'test' },
};
const keyOf = (label: string): LabelKey => KEYS[label]!;

function end(label: string | null, keys: RelationshipEnd['keys'], elementId: string): RelationshipEnd {
  return { elementId, label, keys };
}

function rel(over: Partial<SourceRelationship>): SourceRelationship {
  return {
    elementId: 'r1',
    type: 'READ',
    source: end('Person', { name: 'p1' }, '4:x:1'),
    target: end('Movie', { id: 16961 }, '4:x:2'),
    properties: { duration: 150 },
    ...over,
  };
}

describe('mapRelationship (article weights)', () => {
  it.each([
    ['READ', { duration: 150 }, 0.5],
    ['READ', { duration: 900 }, 1],
    ['READ', { duration: 300n }, 1],
    ['SIMILAR_TO', { similarity: 0.83 }, 0.83],
    ['KNOWS', {}, 0.5],
  ] as const)('%s → weight %d (case %#)', (type, properties, weight) => {
    const r = mapRelationship(rel({ type, properties: properties as SourceRelationship['properties'] }), mapping, spaceOf, keyOf);
    expect(r.ok && r.edge).toEqual({ source: 'p1', sourceSpace: 'person', target: '16961', targetSpace: 'movie', type, weight, properties });
  });

  it('keys each end by its own label: a string key, an integer key, an element id', () => {
    const r = mapRelationship(rel({ target: end('Place', {}, '4:x:9') }), mapping, spaceOf, keyOf);
    expect(r.ok && [r.edge.source, r.edge.target]).toEqual(['p1', '~e:4:x:9']);
  });

  it('keeps every relationship property on the edge line, typed as node content prints them', () => {
    const properties = { roles: ['Neo', 'The One'], summary: 'a review', rating: 95, big: 9007199254740993n, when: '2024-01-02T00:00:00Z' };
    const r = mapRelationship(rel({ type: 'ACTED_IN', properties }), mapping, spaceOf, keyOf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const line = encodeEdge(r.edge);
    expect(line).toBe(
      '{"source":"p1","source_space":"person","target":"16961","target_space":"movie","type":"ACTED_IN","weight":0.5,"properties":{"big":9007199254740993,"rating":95,"roles":["Neo","The One"],"summary":"a review","when":"2024-01-02T00:00:00Z"}}',
    );
  });

  it('rejects a relationship to a node outside the migrated labels', () => {
    const r = mapRelationship(rel({ target: end(null, {}, '4:x:5') }), mapping, spaceOf, keyOf);
    expect(r.ok ? null : [r.reject.code, r.reject.id]).toEqual(['MISSING_ENDPOINT', 'p1-[READ]->(4:x:5)']);
  });

  it('rejects a relationship whose target has no key, naming the property', () => {
    const r = mapRelationship(rel({ target: end('Movie', {}, '4:x:2') }), mapping, spaceOf, keyOf);
    expect(r.ok ? null : [r.reject.code, r.reject.field]).toEqual(['ENDPOINT_REJECTED', 'id']);
  });

  it('rejects a relationship whose end was rejected (a duplicate key), never attaching it to the survivor', () => {
    const target = { ...end('Movie', { id: 7 }, '4:x:3'), rejected: 'DUPLICATE_KEY: another Movie node (4:x:2) has the same key [7]' };
    const r = mapRelationship(rel({ target }), mapping, spaceOf, keyOf);
    expect(r.ok ? null : [r.reject.code, r.reject.reason]).toEqual([
      'ENDPOINT_REJECTED',
      'target node 4:x:3 was rejected: DUPLICATE_KEY: another Movie node (4:x:2) has the same key [7]',
    ]);
    const source = mapRelationship(rel({ source: { ...end('Person', { name: 'p1' }, '4:x:1'), rejected: 'INVALID_TIMESTAMP: x' } }), mapping, spaceOf, keyOf);
    expect(source.ok ? null : source.reject.code).toBe('ENDPOINT_REJECTED');
  });

  it('rejects a READ without a numeric duration, naming the property', () => {
    const r = mapRelationship(rel({ properties: { duration: 'long' } }), mapping, spaceOf, keyOf);
    expect(r.ok ? null : [r.reject.code, r.reject.field]).toEqual(['INVALID_WEIGHT', 'duration']);
  });

  it('reads rules and properties named like Object.prototype members as plain names', () => {
    const r = mapRelationship(rel({ type: 'constructor', properties: { toString: 'x' } }), mapping, spaceOf, keyOf);
    expect(r.ok && r.edge.weight).toBe(0.5);
  });
});
