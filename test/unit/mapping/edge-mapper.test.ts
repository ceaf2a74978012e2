import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { mapRelationship } from '../../../src/mapping/edge-mapper.js';
import type { SourceRelationship } from '../../../src/mapping/types.js';

const mapping = resolveConfig({}).mapping;
const spaceOf = (label: string): string => label.toLowerCase();

function rel(over: Partial<SourceRelationship>): SourceRelationship {
  return { elementId: 'r1', type: 'READ', sourceKey: 'p1', sourceLabel: 'Person', targetKey: 'd1', targetLabel: 'Document', properties: { duration: 150 }, ...over };
}

describe('mapRelationship (article weights)', () => {
  it.each([
    ['READ', { duration: 150 }, 0.5],
    ['READ', { duration: 900 }, 1],
    ['READ', { duration: 300n }, 1],
    ['SIMILAR_TO', { similarity: 0.83 }, 0.83],
    ['KNOWS', {}, 0.5],
  ] as const)('%s → weight %d (case %#)', (type, properties, weight) => {
    const r = mapRelationship(rel({ type, properties: properties as SourceRelationship['properties'] }), mapping, spaceOf);
    expect(r.ok && r.edge).toEqual({ source: 'p1', sourceSpace: 'person', target: 'd1', targetSpace: 'document', type, weight });
  });

  it('rejects a relationship to a node outside the migrated labels', () => {
    const r = mapRelationship(rel({ targetLabel: null }), mapping, spaceOf);
    expect(r.ok ? null : [r.reject.code, r.reject.id]).toEqual(['MISSING_ENDPOINT', 'p1-[READ]->d1']);
  });

  it('rejects a relationship whose target has no key', () => {
    const r = mapRelationship(rel({ targetKey: undefined }), mapping, spaceOf);
    expect(r.ok ? null : [r.reject.code, r.reject.field]).toEqual(['MISSING_ENDPOINT', 'id']);
  });

  it('rejects a READ without a numeric duration, naming the property', () => {
    const r = mapRelationship(rel({ properties: { duration: 'long' } }), mapping, spaceOf);
    expect(r.ok ? null : [r.reject.code, r.reject.field]).toEqual(['INVALID_WEIGHT', 'duration']);
  });
});
