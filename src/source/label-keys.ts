import type { ResolvedMapping } from '../config/config-schema.js';
import type { LabelKey } from '../mapping/types.js';
import { own } from '../shared/own.js';
import type { NodeConstraint } from './neo4j-source.js';

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((p) => b.includes(p));

function describeConstraint(c: NodeConstraint): string {
  return `${c.type.toLowerCase().replaceAll('_', ' ')} constraint ${c.name} on (${c.properties.join(', ')})`;
}

/** The constraints of a label, in words, for errors and the plan ("none" when it has none). */
export function constraintsOf(label: string, constraints: readonly NodeConstraint[]): string {
  const mine = constraints.filter((c) => c.label === label);
  return mine.length === 0 ? 'none' : mine.map(describeConstraint).join('; ');
}

/** Single-property keys first, `id` first among them, then by name: the most natural identifier wins. */
function preference(c: NodeConstraint): [number, number, string] {
  return [c.properties.length, c.properties.length === 1 && c.properties[0] === 'id' ? 0 : 1, c.properties.join('\u0000')];
}

function compare(a: NodeConstraint, b: NodeConstraint): number {
  const [x, y] = [preference(a), preference(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
}

/**
 * Decides how a label's nodes are identified (and so their memory ids): `mapping.keys[label]` (one
 * property or a composite), else `mapping.key`, else the database's own uniqueness or node-key
 * constraint on the label (single-property first, `id` first), else Neo4j's element id. The reason says
 * which, and whether a constraint guards the key (without one, duplicates are found before the run).
 */
export function chooseLabelKey(label: string, mapping: ResolvedMapping, constraints: readonly NodeConstraint[]): LabelKey {
  const mine = constraints.filter((c) => c.label === label).sort(compare);
  const configured = own(mapping.keys, label);
  const explicit =
    configured !== undefined
      ? { properties: typeof configured === 'string' ? [configured] : [...configured], source: 'keys' as const, where: `mapping.keys.${label}` }
      : mapping.key !== undefined
        ? { properties: [mapping.key], source: 'key' as const, where: 'mapping.key' }
        : null;
  if (explicit) {
    const guard = mine.find((c) => sameSet(c.properties, explicit.properties));
    const reason = guard
      ? `${explicit.where}, guarded by the ${describeConstraint(guard)}`
      : `${explicit.where}; no uniqueness constraint guards it, so duplicates are found before the run and rejected (constraints on ${label}: ${constraintsOf(label, constraints)})`;
    return { properties: explicit.properties, source: explicit.source, unique: guard !== undefined, reason };
  }
  const best = mine[0];
  if (best) {
    const others = mine.length > 1 ? `; also ${mine.slice(1).map(describeConstraint).join('; ')}` : '';
    return { properties: [...best.properties], source: 'constraint', unique: true, reason: `the database's ${describeConstraint(best)}${others}` };
  }
  return {
    properties: [],
    source: 'element-id',
    unique: true,
    reason: `no key configured and no uniqueness or node-key constraint on ${label}: migrated by Neo4j's element id, stable across re-runs of this database but not across a dump and load (set mapping.keys.${label} to key it by a property)`,
  };
}
