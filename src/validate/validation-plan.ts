import type { ResolvedConfig } from '../config/config-schema.js';
import { spaceForLabel } from '../mapping/node-mapper.js';
import type { LabelScope, Neo4jSource } from '../source/neo4j-source.js';

/** One migrated label as validation sees it: the engine's label order, space and duplicate-key rule. */
export interface ValidationLabel extends LabelScope {
  space: string;
  /** Nodes migrated under this label (every node carrying it and no earlier label of the run). */
  nodes: number;
  /** Keys an earlier label already holds in the same space: the engine rejects these as DUPLICATE_KEY. */
  takenKeys: ReadonlySet<string>;
}

export interface ValidationPlan {
  labels: ValidationLabel[];
  /** Space → labels that map to it, in run order. */
  spaces: Map<string, string[]>;
}

/**
 * Rebuilds the backfill's view of the graph (same label order, spaces and taken keys as
 * `planBackfill`) without touching the target, so a space over capacity can still be validated.
 */
export async function planValidation(source: Neo4jSource, config: ResolvedConfig): Promise<ValidationPlan> {
  const names = config.source.labels ?? (await source.labels());
  const labels: ValidationLabel[] = [];
  for (const [i, label] of names.entries()) {
    const scope: LabelScope = { label, earlier: names.slice(0, i) };
    const space = spaceForLabel(label, config.mapping);
    const taken = new Set<string>();
    for (const earlier of labels.filter((l) => l.space === space)) {
      for (const key of await source.sharedKeys(earlier, scope)) taken.add(key);
    }
    labels.push({ ...scope, space, nodes: await source.countNodes(scope), takenKeys: taken });
  }
  const spaces = new Map<string, string[]>();
  for (const l of labels) spaces.set(l.space, [...(spaces.get(l.space) ?? []), l.label]);
  return { labels, spaces };
}
