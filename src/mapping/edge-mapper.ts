import type { EdgeWeightRule, ResolvedMapping } from '../config/config-schema.js';
import type { EdgeRecord, PropertyValue, RejectRecord, SourceRelationship } from './types.js';

export type EdgeMapResult = { ok: true; edge: EdgeRecord } | { ok: false; reject: RejectRecord };

function describeKey(key: PropertyValue | undefined): string {
  return typeof key === 'string' ? key : '?';
}

/** `source-[TYPE]->target`: how the reject log names a relationship. */
export function relationshipName(rel: SourceRelationship): string {
  return `${describeKey(rel.sourceKey)}-[${rel.type}]->${describeKey(rel.targetKey)}`;
}

/**
 * Edge weight by the type's rule (article: READ → duration/300 capped at 1; SIMILAR_TO → similarity;
 * anything else → the default 0.5). Returns an error string naming the problem when the property is unusable.
 */
export function edgeWeight(rel: SourceRelationship, rule: EdgeWeightRule | undefined, fallback: number): number | string {
  if (rule === undefined) return fallback;
  if ('constant' in rule) return rule.constant;
  const raw = rel.properties[rule.property];
  if (raw === undefined || raw === null) return `relationship has no ${rule.property} property to compute its weight from`;
  const value = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${rule.property} must be a finite number to compute the weight`;
  return Math.min(rule.max, Math.max(rule.min, value / rule.divisor));
}

/** Maps one relationship (article, "Relationships → Edges"). Both ends must be migrated nodes with string keys. */
export function mapRelationship(rel: SourceRelationship, mapping: ResolvedMapping, spaceOf: (label: string) => string): EdgeMapResult {
  const fail = (field: string | null, code: RejectRecord['code'], reason: string): EdgeMapResult => ({
    ok: false,
    reject: { kind: 'relationship', id: relationshipName(rel), label: rel.type, elementId: rel.elementId, field, code, reason },
  });
  if (typeof rel.sourceKey !== 'string' || rel.sourceKey === '') return fail(mapping.key, 'MISSING_ENDPOINT', 'source node has no usable key');
  if (rel.targetLabel === null) return fail(null, 'MISSING_ENDPOINT', 'target node is not among the migrated labels');
  if (typeof rel.targetKey !== 'string' || rel.targetKey === '') return fail(mapping.key, 'MISSING_ENDPOINT', 'target node has no usable key');
  const weight = edgeWeight(rel, mapping.edgeWeights[rel.type], mapping.defaultEdgeWeight);
  if (typeof weight === 'string') {
    const rule = mapping.edgeWeights[rel.type];
    return fail(rule && 'property' in rule ? rule.property : null, 'INVALID_WEIGHT', weight);
  }
  return {
    ok: true,
    edge: {
      source: rel.sourceKey,
      sourceSpace: spaceOf(rel.sourceLabel),
      target: rel.targetKey,
      targetSpace: spaceOf(rel.targetLabel),
      type: rel.type,
      weight,
    },
  };
}
