import type { ResolvedConfig } from '../config/config-schema.js';
import { planLabels } from '../engine/plan.js';
import { shardSpaces, type ShardLayout } from '../mapping/shard.js';
import type { LabelKey } from '../mapping/types.js';
import type { LabelScope, Neo4jSource } from '../source/neo4j-source.js';

/** One migrated label as validation sees it: the engine's label order, space, key and duplicates. */
export interface ValidationLabel extends LabelScope, ShardLayout {
  space: string;
  /** Spaces the label is spread over (its memories are in `spaceOf(id, label)`); 1 = just `space`. */
  shards: number;
  /** Nodes migrated under this label (every node carrying it and no earlier label of the run). */
  nodes: number;
  /** Their outgoing relationships. */
  relationships: number;
  /** How the label's nodes are identified (the same choice as the backfill's). */
  key: LabelKey;
  /** Element id → why: nodes that lose their key to another node (the engine rejects them as DUPLICATE_KEY). */
  duplicates: ReadonlyMap<string, string>;
}

export interface ValidationPlan {
  labels: ValidationLabel[];
  /** Space → labels that map to it, in run order (a sharded label's space stands for all its shards). */
  spaces: Map<string, string[]>;
  /** Space → the spaces that hold its memories: its shards, or itself. */
  shardSpaces: Map<string, string[]>;
  /** Every key property of the run, for reading both ends of relationships. */
  keyProperties: string[];
}

/**
 * Rebuilds the backfill's view of the graph (same label order, spaces, keys and duplicates as
 * `planBackfill`) without touching the target, so a space over capacity can still be validated.
 */
export async function planValidation(source: Neo4jSource, config: ResolvedConfig, recordedShards?: Readonly<Record<string, number>>): Promise<ValidationPlan> {
  const planned = await planLabels(source, config);
  // The backfill's recorded layout wins over one recomputed from today's counts (the graph may have grown).
  const shardsOf = (label: string, planned: number): number => (recordedShards ? (recordedShards[label] ?? 1) : planned);
  const labels = planned.labels.map((l) => ({
    label: l.label,
    earlier: l.earlier,
    space: l.space,
    shards: shardsOf(l.label, l.shards),
    nodes: l.nodes,
    relationships: l.relationships,
    key: l.key,
    duplicates: planned.duplicates.get(l.label) ?? new Map<string, string>(),
  }));
  const spaces = new Map<string, string[]>();
  const shards = new Map<string, string[]>();
  for (const l of labels) {
    spaces.set(l.space, [...(spaces.get(l.space) ?? []), l.label]);
    shards.set(l.space, [...new Set([...(shards.get(l.space) ?? []), ...shardSpaces(l)])]);
  }
  return { labels, spaces, shardSpaces: shards, keyProperties: [...new Set(labels.flatMap((l) => l.key.properties))].sort() };
}
