import { CapacityError } from '../errors.js';
import type { ResolvedConfig } from '../config/config-schema.js';
import { spaceForLabel } from '../mapping/node-mapper.js';
import type { LabelScope, Neo4jSource } from '../source/neo4j-source.js';
import type { Target } from '../target/target.js';

export interface LabelPlan extends LabelScope {
  space: string;
  nodes: number;
  relationships: number;
  uniqueKey: boolean;
  /** Keys an earlier label already uses in the same space (rejected here as duplicates). */
  takenKeys: string[];
}

export interface SpacePlan {
  space: string;
  labels: string[];
  planned: number;
  existing: number;
  capacity: number | null;
  overflow: boolean;
}

export interface BackfillPlan {
  labels: LabelPlan[];
  spaces: SpacePlan[];
  totalNodes: number;
  totalRelationships: number;
  warnings: string[];
}

/**
 * Reads the graph's shape and decides the run: labels in order (a node with several labels migrates
 * under the first), a space per label, counts, duplicate keys across labels sharing a space, and the
 * capacity check against the target (Engram: 100,000 memories per space, then silent eviction).
 */
export async function planBackfill(
  source: Neo4jSource,
  target: Target,
  config: ResolvedConfig,
  existingAtStart: Record<string, number> | null,
): Promise<{ plan: BackfillPlan; existingAtStart: Record<string, number> }> {
  const names = config.source.labels ?? (await source.labels());
  const labels: LabelPlan[] = [];
  for (const [i, label] of names.entries()) {
    const scope = { label, earlier: names.slice(0, i) };
    const space = spaceForLabel(label, config.mapping);
    const [nodes, relationships, uniqueKey] = await Promise.all([source.countNodes(scope), source.countRelationships(scope), source.hasUniqueKey(label)]);
    const takenKeys: string[] = [];
    for (const earlier of labels.filter((l) => l.space === space)) takenKeys.push(...(await source.sharedKeys(earlier, scope)));
    labels.push({ ...scope, space, nodes, relationships, uniqueKey, takenKeys });
  }
  const spaceNames = [...new Set(labels.map((l) => l.space))];
  const existing = existingAtStart ?? Object.fromEntries(await target.spaceCounts(spaceNames));
  const capacity = target.capabilities.capacityPerSpace === null ? null : config.target.capacityPerSpace;
  const warnings: string[] = [];
  const spaces = spaceNames.map((space) => {
    const members = labels.filter((l) => l.space === space);
    const planned = members.reduce((sum, l) => sum + l.nodes, 0);
    const held = existing[space] ?? 0;
    const overflow = capacity !== null && held + planned > capacity;
    if (overflow) {
      warnings.push(`space ${space} would hold ${held + planned} memories (${held} already there + ${planned} planned) but the target keeps at most ${capacity}; past that it evicts silently. Map some labels to other spaces (mapping.spaces).`);
    }
    return { space, labels: members.map((l) => l.label), planned, existing: held, capacity, overflow };
  });
  for (const l of labels) {
    if (!l.uniqueKey) warnings.push(`label ${l.label} has no uniqueness constraint on ${config.mapping.key}: paging is slower and duplicate keys are rejected`);
  }
  const plan = {
    labels,
    spaces,
    totalNodes: labels.reduce((s, l) => s + l.nodes, 0),
    totalRelationships: labels.reduce((s, l) => s + l.relationships, 0),
    warnings,
  };
  const overflowing = spaces.filter((s) => s.overflow);
  if (overflowing.length > 0 && config.target.onOverflow === 'refuse') {
    throw new CapacityError(`refusing to start: ${overflowing.map((s) => `space ${s.space} would hold ${s.existing + s.planned} > ${s.capacity}`).join('; ')} (pass --on-overflow warn to go on anyway)`, {
      spaces: overflowing,
    });
  }
  return { plan, existingAtStart: existing };
}
