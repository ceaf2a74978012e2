import { readsPerPerson, SAMPLE_ENDPOINTS, similarPerDocument, type ResolvedSampleGraphOptions, type SampleRelationshipType } from './sample-options.js';
import { randomInstant, sampleNodeId } from './sample-records.js';
import { SeededRandom } from './seeded-random.js';
import { ROLES } from './sample-words.js';

/** Relationship properties per type; temporal fields as in the node records. */
export interface SampleRelationshipProperties {
  /** timestamp: datetime (UTC); duration: seconds */
  READ: { timestamp: string; duration: number };
  SIMILAR_TO: { similarity: number };
  /** since: date */
  WORKS_AT: { since: string; role: string; remote: boolean };
  ABOUT: { weight: number };
}

export interface SampleRelationshipRecord<T extends SampleRelationshipType = SampleRelationshipType> {
  type: T;
  /** `id` of the start node (label from {@link SAMPLE_ENDPOINTS}). */
  source: string;
  /** `id` of the end node. */
  target: string;
  properties: SampleRelationshipProperties[T];
}

/** `k` distinct indices in [0, n), none equal to `exclude`. Needs k <= n - (exclude in range ? 1 : 0). */
function distinctIndices(rng: SeededRandom, n: number, k: number, exclude: number): number[] {
  const out: number[] = [];
  while (out.length < k) {
    const i = rng.int(0, n - 1);
    if (i !== exclude && !out.includes(i)) out.push(i);
  }
  return out;
}

function relationshipProperties<T extends SampleRelationshipType>(type: T, rng: SeededRandom): SampleRelationshipProperties[T] {
  const make: { [K in SampleRelationshipType]: () => SampleRelationshipProperties[K] } = {
    READ: () => ({ timestamp: new Date(randomInstant(rng)).toISOString(), duration: rng.int(5, 3_600) }),
    SIMILAR_TO: () => ({ similarity: rng.float() }),
    WORKS_AT: () => ({
      since: new Date(randomInstant(rng)).toISOString().slice(0, 10),
      role: rng.pick(ROLES),
      remote: rng.chance(0.4),
    }),
    ABOUT: () => ({ weight: Math.round(rng.float() * 1000) / 1000 }),
  };
  return make[type]();
}

/** Target indices of the relationships of `type` that start at source node `sourceIndex`. */
function targetIndices(resolved: ResolvedSampleGraphOptions, type: SampleRelationshipType, sourceIndex: number, rng: SeededRandom): number[] {
  const c = resolved.labelCounts;
  switch (type) {
    case 'WORKS_AT':
      return [rng.int(0, c.Organization - 1)];
    case 'ABOUT':
      return [rng.int(0, c.Topic - 1)];
    case 'READ':
      return distinctIndices(rng, c.Document, readsPerPerson(resolved), -1);
    case 'SIMILAR_TO':
      return distinctIndices(rng, c.Document, similarPerDocument(resolved), sourceIndex);
  }
}

/** The relationships of `type` that start at node `sourceIndex` of the type's start label. */
export function generateSampleRelationships<T extends SampleRelationshipType>(
  resolved: ResolvedSampleGraphOptions,
  type: T,
  sourceIndex: number,
): SampleRelationshipRecord<T>[] {
  const [fromLabel, toLabel] = SAMPLE_ENDPOINTS[type];
  const rng = SeededRandom.forElement(resolved.seed, type, sourceIndex);
  const source = sampleNodeId(resolved, fromLabel, sourceIndex);
  return targetIndices(resolved, type, sourceIndex, rng).map((t) => ({
    type,
    source,
    target: sampleNodeId(resolved, toLabel, t),
    properties: relationshipProperties(type, rng),
  }));
}

/** Relationships of one type in source order, about `batchSize` at a time (whole source groups). */
export function* sampleRelationshipBatches<T extends SampleRelationshipType>(
  resolved: ResolvedSampleGraphOptions,
  type: T,
  batchSize: number,
): Generator<SampleRelationshipRecord<T>[]> {
  const sources = resolved.labelCounts[SAMPLE_ENDPOINTS[type][0]];
  let batch: SampleRelationshipRecord<T>[] = [];
  for (let i = 0; i < sources; i++) {
    batch.push(...generateSampleRelationships(resolved, type, i));
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
