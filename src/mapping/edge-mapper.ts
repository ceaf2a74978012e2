import type { EdgeWeightRule, ResolvedMapping } from '../config/config-schema.js';
import { own } from '../shared/own.js';
import { memoryIdOf, type MemoryIdResult } from './node-mapper.js';
import type { EdgeRecord, LabelKey, RejectRecord, RelationshipEnd, SourceRelationship } from './types.js';

export type EdgeMapResult = { ok: true; edge: EdgeRecord } | { ok: false; reject: RejectRecord };

/** The memory id of one end, or why it has none. */
function endId(end: RelationshipEnd, keyOf: (label: string) => LabelKey): MemoryIdResult | null {
  if (end.label === null) return null;
  const key = keyOf(end.label);
  return memoryIdOf(
    key,
    key.properties.map((p) => own(end.keys, p)),
    end.elementId,
  );
}

/** How the reject log names one end of a relationship: its memory id, else its element id. */
function endName(end: RelationshipEnd, id: MemoryIdResult | null): string {
  return id?.ok ? id.id : `(${end.elementId})`;
}

/**
 * Edge weight by the type's rule (article: READ → duration/300 capped at 1; SIMILAR_TO → similarity;
 * anything else → the default 0.5). Returns an error string naming the problem when the property is unusable.
 */
export function edgeWeight(rel: SourceRelationship, rule: EdgeWeightRule | undefined, fallback: number): number | string {
  if (rule === undefined) return fallback;
  if ('constant' in rule) return rule.constant;
  const raw = own(rel.properties, rule.property);
  if (raw === undefined || raw === null) return `relationship has no ${rule.property} property to compute its weight from`;
  const value = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${rule.property} must be a finite number to compute the weight`;
  return Math.min(rule.max, Math.max(rule.min, value / rule.divisor));
}

/**
 * Maps one relationship (article, "Relationships → Edges"). Both ends must be migrated nodes: a
 * relationship to a node outside the run's labels is MISSING_ENDPOINT, one whose end was rejected (a
 * missing or duplicate key, bad data) is ENDPOINT_REJECTED; it is never attached to another node. Every
 * property of the relationship is kept on the edge.
 */
export function mapRelationship(
  rel: SourceRelationship,
  mapping: ResolvedMapping,
  spaceOf: (label: string, memoryId: string) => string,
  keyOf: (label: string) => LabelKey,
): EdgeMapResult {
  const sourceId = endId(rel.source, keyOf);
  const targetId = endId(rel.target, keyOf);
  const fail = (field: string | null, code: RejectRecord['code'], reason: string): EdgeMapResult => ({
    ok: false,
    reject: {
      kind: 'relationship',
      id: `${endName(rel.source, sourceId)}-[${rel.type}]->${endName(rel.target, targetId)}`,
      label: rel.type,
      elementId: rel.elementId,
      field,
      code,
      reason,
    },
  });
  if (rel.source.rejected !== undefined) return fail(null, 'ENDPOINT_REJECTED', `source node ${rel.source.elementId} was rejected: ${rel.source.rejected}`);
  if (sourceId === null) return fail(null, 'MISSING_ENDPOINT', 'source node is not among the migrated labels');
  if (!sourceId.ok) return fail(sourceId.field, 'ENDPOINT_REJECTED', `source node ${rel.source.elementId}: ${sourceId.reason}`);
  if (targetId === null) return fail(null, 'MISSING_ENDPOINT', `target node ${rel.target.elementId} is not among the migrated labels`);
  if (rel.target.rejected !== undefined) return fail(null, 'ENDPOINT_REJECTED', `target node ${rel.target.elementId} was rejected: ${rel.target.rejected}`);
  if (!targetId.ok) return fail(targetId.field, 'ENDPOINT_REJECTED', `target node ${rel.target.elementId}: ${targetId.reason}`);
  const rule = own(mapping.edgeWeights, rel.type);
  const weight = edgeWeight(rel, rule, mapping.defaultEdgeWeight);
  if (typeof weight === 'string') return fail(rule && 'property' in rule ? rule.property : null, 'INVALID_WEIGHT', weight);
  return {
    ok: true,
    edge: {
      source: sourceId.id,
      sourceSpace: spaceOf(rel.source.label!, sourceId.id),
      target: targetId.id,
      targetSpace: spaceOf(rel.target.label!, targetId.id),
      type: rel.type,
      weight,
      properties: rel.properties,
    },
  };
}
