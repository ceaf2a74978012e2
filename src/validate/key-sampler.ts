import { SourceError, errorMessage } from '../errors.js';
import type { Neo4jSource } from '../source/neo4j-source.js';
import { quoteIdentifier as q } from '../source/neo4j-values.js';
import { throwIfAborted } from '../shared/abort.js';
import { SelectionSampler } from './selection-sampler.js';
import type { ValidationLabel } from './validation-plan.js';

/** One sampled node key, under the label (and so the space) the engine migrates it under. */
export interface SampledKey {
  label: string;
  space: string;
  key: string;
}

export interface KeySample {
  /** In label order, then key order: row i of every validation buffer belongs to keys[i]. */
  keys: SampledKey[];
  /** Nodes with a usable (non-empty string) key over all labels. */
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
  /** The key property (mapping.key). */
  key: string;
  signal?: AbortSignal;
}

function keyFilter(label: ValidationLabel, key: string): string {
  const k = q(key);
  const earlier = label.earlier.length === 0 ? '' : ` AND NOT (${label.earlier.map((l) => `n:${q(l)}`).join(' OR ')})`;
  return `MATCH (n:${q(label.label)}) WHERE n.${k} IS :: STRING AND n.${k} > ''${earlier}`;
}

async function countKeys(source: Neo4jSource, label: ValidationLabel, key: string): Promise<number> {
  const rows = await source.query<{ c: bigint }>(`${keyFilter(label, key)} RETURN count(n) AS c`);
  return Number(rows[0]?.c ?? 0);
}

/**
 * A uniform random sample of nodes over the migrated labels, reproducible from the seed: one pass over
 * the keys of each label in key order (`RETURN n.key ORDER BY n.key`: the uniqueness index gives the
 * order, no other property is decoded) through Knuth's Algorithm S. Nodes whose key is missing or not
 * a string are not sampled (the engine rejects them all; the space counts account for them).
 */
export async function sampleKeys(source: Neo4jSource, labels: readonly ValidationLabel[], options: KeySampleOptions): Promise<KeySample> {
  const counts = await Promise.all(labels.map((l) => countKeys(source, l, options.key)));
  const population = counts.reduce((a, b) => a + b, 0);
  const requested = options.rate !== undefined ? Math.ceil(options.rate * population) : (options.size ?? 0);
  const sampler = new SelectionSampler(requested, population, options.seed);
  const keys: SampledKey[] = [];
  const byLabel: KeySample['byLabel'] = {};
  for (const [i, label] of labels.entries()) {
    const before = keys.length;
    if (sampler.needed > 0) await streamLabel(source, label, options, (key) => sampler.offer() && keys.push({ label: label.label, space: label.space, key }));
    byLabel[label.label] = { population: counts[i]!, sampled: keys.length - before };
  }
  const unique = dedupe(keys);
  return { keys: unique, population, requested, repeated: keys.length - unique.length, byLabel };
}

async function streamLabel(source: Neo4jSource, label: ValidationLabel, options: KeySampleOptions, onKey: (key: string) => unknown): Promise<void> {
  const session = source.session();
  const cypher = `${keyFilter(label, options.key)} RETURN n.${q(options.key)} AS k ORDER BY k`;
  try {
    let n = 0;
    for await (const record of session.run(cypher)) {
      onKey(record.get(0) as string);
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
