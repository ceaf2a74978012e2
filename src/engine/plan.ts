import { CapacityError, ConfigError } from '../errors.js';
import type { ResolvedConfig } from '../config/config-schema.js';
import { describeKey, spaceForLabel } from '../mapping/node-mapper.js';
import type { LabelKey } from '../mapping/types.js';
import { shardCount, shardSpace, shardSpaces, type ShardLayout } from '../mapping/shard.js';
import { SPACE_ID } from '../mapping/types.js';
import { own } from '../shared/own.js';
import { chooseLabelKey, constraintsOf } from '../source/label-keys.js';
import type { LabelScope, Neo4jSource, NodeConstraint } from '../source/neo4j-source.js';
import type { Target } from '../target/target.js';
import { predictorPeakBytes } from '../dedup/predictor-memory.js';
import { dedupMode } from '../dedup/dedup-guard.js';
import { totalmem } from 'node:os';

/** At most this many duplicate-key nodes per label: past it the property is not a key worth the name. */
export const MAX_DUPLICATES = 100_000;

export interface LabelPlan extends LabelScope, ShardLayout {
  /** The label's space; when `shards` > 1 its memories go to `{space}-0` … `{space}-{shards-1}` (src/mapping/shard.ts). */
  space: string;
  /** Spaces the label is spread over (1 = just `space`); part of the checkpoint and the bundle manifest. */
  shards: number;
  nodes: number;
  /** Outgoing relationships of the label's nodes. */
  relationships: number;
  /** How the label's nodes are identified, and why. */
  key: LabelKey;
  /** Nodes that share their key with an earlier node (found before the run; rejected as DUPLICATE_KEY). */
  duplicates: number;
  /** Nodes without the timestamp property: they get the run's start time. */
  missingTimestamp: number;
  /** What a missing embedding is generated from, in words. */
  embeddingText: string;
  /**
   * Nodes without an embedding and how many distinct generation texts they have (null: not counted, e.g.
   * texts from several properties per node). Fewer distinct texts than nodes: identical texts give
   * identical vectors, and Engram keeps one memory per near-duplicate vector.
   */
  generatedTexts: { nodes: number; distinct: number; properties: string[] } | null;
}

export interface SpacePlan {
  space: string;
  labels: string[];
  /** Memories planned into the space (a shard's share of its label: nodes / shards, rounded up). */
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
  /** Every key property the run uses (read from both ends of each relationship). */
  keyProperties: string[];
  warnings: string[];
}

/** Element id → why the node is a duplicate, per label. */
export type DuplicateIndex = Map<string, Map<string, string>>;

/** The properties a label's generated embeddings are read from, when they are the same for every node. */
function textSource(label: string, config: ResolvedConfig, types: Record<string, string[]>): string[] | null {
  const m = config.mapping;
  if (!m.generateMissingEmbeddings) return null;
  const configured = own(m.textProperties, label);
  if (configured) return [...configured];
  const strings = Object.keys(types).filter((k) => types[k]!.some((t) => t.startsWith('STRING')));
  const found = m.defaultTextProperties.filter((p) => strings.includes(p));
  // Several defaults present: which one a node uses depends on the node; not counted.
  return found.length === 1 ? found : null;
}

function embeddingText(label: string, config: ResolvedConfig, types: Record<string, string[]>): string {
  const m = config.mapping;
  if (!m.generateMissingEmbeddings) return 'not generated (mapping.generateMissingEmbeddings is off)';
  const configured = own(m.textProperties, label);
  if (configured) return `mapping.textProperties: ${configured.join(', ')}`;
  const strings = Object.keys(types).filter(
    (k) => types[k]!.some((t) => t.startsWith('STRING')) && k !== m.embeddingProperty && !m.excludeProperties.includes(k),
  );
  const found = m.defaultTextProperties.filter((p) => strings.includes(p));
  if (found.length > 0) return `the first present of ${m.defaultTextProperties.join(', ')} (seen: ${found.join(', ')})`;
  if (strings.length > 0) return `none of ${m.defaultTextProperties.join(', ')}: the other string properties as "name: value" lines (${strings.join(', ')})`;
  return `no string property: each node's properties as stable JSON (set mapping.textProperties.${label} to choose)`;
}

/**
 * The label's shard count (explicit in `mapping.shards`, else automatic past `target.shardFill` of the
 * capacity), checked so that every shard space is a valid Engram space id.
 */
function planShards(label: string, space: string, nodes: number, config: ResolvedConfig): number {
  const explicit = own(config.mapping.shards, label);
  const shards = shardCount(nodes, config.target.capacityPerSpace, config.target.shardFill, explicit);
  if (shards > 1 && !SPACE_ID.test(shardSpace(space, shards - 1))) {
    const where = explicit !== undefined ? `mapping.shards.${label}` : `mapping.spaces.${label}`;
    throw new ConfigError(
      where,
      `label ${label} needs ${shards} shards but its space ${space} is too long for the shard id ${shardSpace(space, shards - 1)} (at most 64 characters); map it to a shorter space`,
    );
  }
  return shards;
}

/** Two labels must never write into one space through different layouts (a shard id is another label's space). */
function checkShardSpaces(labels: readonly LabelPlan[]): void {
  const owner = new Map<string, LabelPlan>();
  for (const l of labels)
    for (const s of shardSpaces(l)) {
      const other = owner.get(s);
      if (other && (other.space !== l.space || other.shards !== l.shards)) {
        throw new ConfigError(
          `mapping.shards.${l.label}`,
          `label ${l.label} and label ${other.label} would both write into space ${s} with different shard layouts; give them the same shard count or other spaces`,
        );
      }
      owner.set(s, l);
    }
}

/**
 * The labels of a run as the backfill and validation both see them: order (a node with several labels
 * migrates under the first), space, key (configured, or the database's constraint, or the element id),
 * counts, and the nodes that lose their key to another (duplicates).
 */
export async function planLabels(
  source: Neo4jSource,
  config: ResolvedConfig,
): Promise<{ labels: LabelPlan[]; duplicates: DuplicateIndex; constraints: NodeConstraint[] }> {
  const names = config.source.labels ?? (await source.labels());
  const constraints = await source.constraints();
  const labels: LabelPlan[] = [];
  const duplicates: DuplicateIndex = new Map();
  for (const [i, label] of names.entries()) {
    const scope = { label, earlier: names.slice(0, i) };
    const space = spaceForLabel(label, config.mapping);
    const key = chooseLabelKey(label, config.mapping, constraints);
    const [nodes, relationships, missingTimestamp, types] = await Promise.all([
      source.countNodes(scope),
      source.countRelationships(scope),
      source.countMissing(scope, config.mapping.timestampProperty),
      source.propertyTypes(scope),
    ]);
    const sameSpace = labels.filter((l) => l.space === space && l.key.properties.length > 0).map((l) => ({ scope: l, key: l.key.properties }));
    const found = key.unique && sameSpace.length === 0 ? [] : await source.duplicates(scope, key.properties, sameSpace, MAX_DUPLICATES);
    if (found.length > MAX_DUPLICATES) {
      throw new ConfigError(
        `mapping.keys.${label}`,
        `key ${describeKey(key)} of label ${label} is not unique: more than ${MAX_DUPLICATES} nodes share a value with another (key chosen from ${key.reason}). Choose another key with --keys ${label}=<property>; constraints on ${label}: ${constraintsOf(label, constraints)}`,
      );
    }
    duplicates.set(label, new Map(found.map((d) => [d.elementId, d.reason])));
    const texts = textSource(label, config, types);
    const generatedTexts =
      texts === null || nodes === 0 ? null : { ...(await source.distinctTexts(scope, config.mapping.embeddingProperty, texts)), properties: texts };
    labels.push({
      ...scope,
      space,
      shards: planShards(label, space, nodes, config),
      nodes,
      relationships,
      key,
      duplicates: found.length,
      missingTimestamp,
      embeddingText: embeddingText(label, config, types),
      generatedTexts,
    });
  }
  checkShardSpaces(labels);
  return { labels, duplicates, constraints };
}

/**
 * Reads the graph's shape and decides the run (see {@link planLabels}), then checks capacity against the
 * target (Engram: 100,000 memories per space, then silent eviction).
 */
export async function planBackfill(
  source: Neo4jSource,
  target: Target,
  config: ResolvedConfig,
  existingAtStart: Record<string, number> | null,
  dryRun = false,
): Promise<{ plan: BackfillPlan; existingAtStart: Record<string, number>; duplicates: DuplicateIndex }> {
  const { labels, duplicates } = await planLabels(source, config);
  const spaceNames = [...new Set(labels.flatMap((l) => shardSpaces(l)))];
  // A dry run writes nothing, and on Engram asking a space anything creates it (seconds and ~3 GB each):
  // it counts only the spaces the server has loaded.
  const existing = existingAtStart ?? Object.fromEntries(await target.spaceCounts(spaceNames, dryRun));
  const capacity = target.capabilities.capacityPerSpace === null ? null : config.target.capacityPerSpace;
  const warnings: string[] = [];
  const notAsked = existingAtStart ? [] : spaceNames.filter((space) => existing[space] === undefined);
  if (notAsked.length > 0)
    warnings.push(
      `dry run: ${notAsked.length} space(s) not loaded on the target (${notAsked.slice(0, 5).join(', ')}${notAsked.length > 5 ? ', …' : ''}) were not counted (shown as 0 already there): asking Engram about a space creates it. They are new, or were not asked since the server restarted; a real run counts them.`,
    );
  const spaces = spaceNames.map((space) => {
    const members = labels.filter((l) => shardSpaces(l).includes(space));
    // A shard's expected share; the hash spreads within a few percent, which target.shardFill leaves room for.
    const planned = members.reduce((sum, l) => sum + Math.ceil(l.nodes / l.shards), 0);
    const held = existing[space] ?? 0;
    const overflow = capacity !== null && held + planned > capacity;
    if (overflow) {
      warnings.push(
        `space ${space} would hold ${held + planned} memories (${held} already there + ${planned} planned) but the target keeps at most ${capacity}; past that it evicts silently. Map some labels to other spaces (mapping.spaces) or shard them (mapping.shards).`,
      );
    }
    return { space, labels: members.map((l) => l.label), planned, existing: held, capacity, overflow };
  });
  for (const l of labels) {
    if (l.shards > 1)
      warnings.push(
        `label ${l.label}: ${l.nodes} nodes spread over ${l.shards} spaces ${shardSpace(l.space, 0)} … ${shardSpace(l.space, l.shards - 1)} by memory id hash${own(config.mapping.shards, l.label) !== undefined ? ' (mapping.shards)' : ` (more than ${config.target.shardFill} × ${config.target.capacityPerSpace} per space)`}`,
      );
    if (l.duplicates > 0)
      warnings.push(
        `label ${l.label}: ${l.duplicates} nodes share their key ${describeKey(l.key)} with another node and will be rejected as DUPLICATE_KEY (their relationships too)`,
      );
    const g = l.generatedTexts;
    if (g && g.distinct < g.nodes) {
      warnings.push(
        `label ${l.label}: ${g.nodes} nodes without an embedding would generate theirs from ${g.properties.join(', ')}, which has only ${g.distinct} distinct values: identical texts give identical vectors, and Engram keeps one memory per near-duplicate (cosine ≥ 0.95), dropping the others silently. Add properties that tell them apart: mapping.textProperties.${l.label}`,
      );
    }
    if (l.missingTimestamp > 0 && l.nodes > 0)
      warnings.push(`label ${l.label}: ${l.missingTimestamp} of ${l.nodes} nodes have no ${config.mapping.timestampProperty}; they get the run's start time`);
  }
  if (dedupMode(config.target) !== 'off') {
    const peak = predictorPeakBytes(
      labels.map((l) => shardSpaces(l)),
      new Map(spaces.map((s) => [s.space, s.planned])),
    );
    if (peak > totalmem() / 2)
      warnings.push(
        `the near-duplicate predictor would hold up to ${(peak / 2 ** 30).toFixed(1)} GiB (every memory of the spaces being written, ~3.3 KB each) on a machine with ${(totalmem() / 2 ** 30).toFixed(1)} GiB: run the labels in parts (--labels), or --on-dedup off and rely on validation`,
      );
  }
  const plan = {
    labels,
    spaces,
    totalNodes: labels.reduce((s, l) => s + l.nodes, 0),
    totalRelationships: labels.reduce((s, l) => s + l.relationships, 0),
    keyProperties: [...new Set(labels.flatMap((l) => l.key.properties))].sort(),
    warnings,
  };
  const overflowing = spaces.filter((s) => s.overflow);
  if (overflowing.length > 0 && config.target.onOverflow === 'refuse') {
    throw new CapacityError(
      `refusing to start: ${overflowing.map((s) => `space ${s.space} would hold ${s.existing + s.planned} > ${s.capacity}`).join('; ')} (pass --on-overflow warn to go on anyway)`,
      {
        spaces: overflowing,
      },
    );
  }
  return { plan, existingAtStart: existing, duplicates };
}
