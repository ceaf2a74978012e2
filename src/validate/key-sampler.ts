import { SourceError, errorMessage } from '../errors.js';
import { spaceOf } from '../mapping/shard.js';
import type { Neo4jSource } from '../source/neo4j-source.js';
import { memoryIdOf } from '../mapping/node-mapper.js';
import { normalizeValue, quoteIdentifier as q } from '../source/neo4j-values.js';
import { throwIfAborted } from '../shared/abort.js';
import { SelectionSampler } from './selection-sampler.js';
import type { ValidationLabel } from './validation-plan.js';

/** One sampled node: its memory id (`key`), under the label (and so the space) the engine migrates it under. */
export interface SampledKey {
  label: string;
  space: string;
  /** The memory id the backfill gives the node (memory-id.ts). */
  key: string;
  /** Neo4j's node id, to fetch the node by (a seek). */
  nodeId: number;
}

export interface KeySample {
  /** In label order, then node-id order: row i of every validation buffer belongs to keys[i]. */
  keys: SampledKey[];
  /** Nodes with a usable key (a non-empty string or an integer per key property) over all labels. */
  population: number;
  requested: number;
  /** Sampled keys held by more than one node of their label (without a uniqueness constraint): checked once. */
  repeated: number;
  byLabel: Record<string, { population: number; sampled: number }>;
}

export interface KeySampleOptions {
  /** Sample this many nodes... */
  size?: number;
  /** ...or this share of the population (rounded up); wins over `size`. */
  rate?: number;
  seed: number;
  signal?: AbortSignal;
}

/** Nodes of the label whose every key property is a non-empty string or an integer (all of them for element-id keys). */
function keyFilter(label: ValidationLabel): string {
  const usable = label.key.properties.map((p) => ` AND (n.${q(p)} IS :: INTEGER NOT NULL OR (n.${q(p)} IS :: STRING NOT NULL AND n.${q(p)} <> ''))`).join('');
  const earlier = label.earlier.length === 0 ? '' : ` AND NOT (${label.earlier.map((l) => `n:${q(l)}`).join(' OR ')})`;
  return `MATCH (n:${q(label.label)}) WHERE true${usable}${earlier}`;
}

async function countKeys(source: Neo4jSource, label: ValidationLabel): Promise<number> {
  const rows = await source.query<{ c: bigint }>(`${keyFilter(label)} RETURN count(n) AS c`);
  return Number(rows[0]?.c ?? 0);
}

/**
 * A uniform random sample of nodes over the migrated labels, reproducible from the seed: one pass over
 * each label's nodes in the label scan's order (node ids; only the key properties are decoded) through
 * Knuth's Algorithm S. Nodes whose key is missing or unusable are not sampled (the engine rejects them
 * all; the rejected-records check and the space counts account for them).
 */
export async function sampleKeys(source: Neo4jSource, labels: readonly ValidationLabel[], options: KeySampleOptions): Promise<KeySample> {
  const counts = await Promise.all(labels.map((l) => countKeys(source, l)));
  const population = counts.reduce((a, b) => a + b, 0);
  const requested = options.rate !== undefined ? Math.ceil(options.rate * population) : (options.size ?? 0);
  const sampler = new SelectionSampler(requested, population, options.seed);
  const keys: SampledKey[] = [];
  const byLabel: KeySample['byLabel'] = {};
  for (const [i, label] of labels.entries()) {
    const before = keys.length;
    if (sampler.needed > 0)
      await streamLabel(source, label, options, (key, nodeId) => sampler.offer() && keys.push({ label: label.label, space: spaceOf(key, label), key, nodeId }));
    byLabel[label.label] = { population: counts[i]!, sampled: keys.length - before };
  }
  const unique = dedupe(keys);
  return { keys: unique, population, requested, repeated: keys.length - unique.length, byLabel };
}

async function streamLabel(
  source: Neo4jSource,
  label: ValidationLabel,
  options: KeySampleOptions,
  onKey: (key: string, nodeId: number) => unknown,
): Promise<void> {
  const session = source.session();
  const keys = `[${label.key.properties.map((p) => `n.${q(p)}`).join(', ')}]`;
  const cypher = `${keyFilter(label)} RETURN id(n), elementId(n), ${keys}`;
  try {
    let n = 0;
    for await (const record of session.run(cypher)) {
      const id = memoryIdOf(label.key, (record.get(2) as unknown[]).map(normalizeValue), record.get(1) as string);
      // The filter admits only usable keys, so every row has an id.
      if (id.ok) onKey(id.id, Number(record.get(0)));
      if (++n % 65_536 === 0) throwIfAborted(options.signal);
    }
  } catch (cause) {
    if (options.signal?.aborted) throw cause;
    throw new SourceError('SOURCE_QUERY_FAILED', `sampling keys of ${label.label} failed: ${errorMessage(cause)}`, { cause, details: { cypher } });
  } finally {
    await session.close();
  }
}

/** Without a uniqueness constraint a key can repeat within a label; a sampled key is checked once. */
function dedupe(keys: SampledKey[]): SampledKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k.label}\u0000${k.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
