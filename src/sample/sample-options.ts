import { ConfigError } from '../errors.js';
import { EMBEDDING_DIM } from '../mapping/types.js';
import { SeededRandom } from './seeded-random.js';

/** Node labels of the sample graph, in load order. */
export const SAMPLE_LABELS = ['Person', 'Organization', 'Topic', 'Document'] as const;
export type SampleLabel = (typeof SAMPLE_LABELS)[number];

/** Relationship types of the sample graph, in load order. */
export const SAMPLE_RELATIONSHIP_TYPES = ['WORKS_AT', 'READ', 'ABOUT', 'SIMILAR_TO'] as const;
export type SampleRelationshipType = (typeof SAMPLE_RELATIONSHIP_TYPES)[number];

/** Start and end label of each relationship type. */
export const SAMPLE_ENDPOINTS: Readonly<Record<SampleRelationshipType, readonly [SampleLabel, SampleLabel]>> = {
  WORKS_AT: ['Person', 'Organization'],
  READ: ['Person', 'Document'],
  ABOUT: ['Document', 'Topic'],
  SIMILAR_TO: ['Document', 'Document'],
};

/** Distinct documents each person has read, and distinct other documents each document is similar to. */
export const READS_PER_PERSON = 5;
export const SIMILAR_PER_DOCUMENT = 4;
/** The smallest graph that still has every label and relationship type. */
export const MIN_SAMPLE_NODES = 20;

/** Stream name of the per-document draw that decides whether it carries an embedding. */
export const EMBEDDING_PRESENCE_STREAM = 'Document.embedding';

/** What sample graph to generate. Every field is optional. */
export interface SampleGraphOptions {
  /** Total nodes over all labels (default 10,000): 40% Person, 5% Organization, 5% Topic, the rest Document. */
  nodes?: number;
  /** Seed of every random draw (default 42). The same options always give the same graph. */
  seed?: number;
  /** Share of documents without an `embedding` property, 0..1 (default 0.2). */
  missingEmbeddings?: number;
  /** Embedding width (default 768, what Engram takes). */
  embeddingDim?: number;
}

/** {@link SampleGraphOptions} after defaults and checks, with the derived per-label node counts. */
export interface ResolvedSampleGraphOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly missingEmbeddings: number;
  readonly embeddingDim: number;
  readonly labelCounts: Readonly<Record<SampleLabel, number>>;
}

/** Exact node count per label and relationship count per type for some options. */
export interface SampleCounts {
  nodes: Record<SampleLabel, number>;
  relationships: Record<SampleRelationshipType, number>;
  totalNodes: number;
  totalRelationships: number;
  /** Documents generated without an `embedding` property. */
  documentsWithoutEmbedding: number;
}

export const DEFAULT_SAMPLE_GRAPH_OPTIONS = Object.freeze({
  nodes: 10_000,
  seed: 42,
  missingEmbeddings: 0.2,
  embeddingDim: EMBEDDING_DIM,
});

function checkInteger(path: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(path, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Applies defaults, checks every field (naming the option in the error) and splits nodes over labels. */
export function resolveSampleGraphOptions(options: SampleGraphOptions = {}): ResolvedSampleGraphOptions {
  const d = DEFAULT_SAMPLE_GRAPH_OPTIONS;
  const nodes = checkInteger('sample.nodes', options.nodes ?? d.nodes, MIN_SAMPLE_NODES, 2 ** 31 - 1);
  const seed = checkInteger('sample.seed', options.seed ?? d.seed, 0, 2 ** 32 - 1);
  const embeddingDim = checkInteger('sample.embeddingDim', options.embeddingDim ?? d.embeddingDim, 1, 65_536);
  const missingEmbeddings = options.missingEmbeddings ?? d.missingEmbeddings;
  if (!(missingEmbeddings >= 0 && missingEmbeddings <= 1)) {
    throw new ConfigError('sample.missingEmbeddings', `must be a share in [0, 1], got ${String(missingEmbeddings)}`);
  }
  const person = Math.floor(nodes * 0.4);
  const organization = Math.max(1, Math.floor(nodes * 0.05));
  const topic = Math.max(1, Math.floor(nodes * 0.05));
  const labelCounts = { Person: person, Organization: organization, Topic: topic, Document: nodes - person - organization - topic };
  return Object.freeze({ nodes, seed, missingEmbeddings, embeddingDim, labelCounts: Object.freeze(labelCounts) });
}

/** How many `READ` relationships each person has (capped by the number of documents). */
export function readsPerPerson(resolved: ResolvedSampleGraphOptions): number {
  return Math.min(READS_PER_PERSON, resolved.labelCounts.Document);
}

/** How many `SIMILAR_TO` relationships each document has (never to itself). */
export function similarPerDocument(resolved: ResolvedSampleGraphOptions): number {
  return Math.min(SIMILAR_PER_DOCUMENT, resolved.labelCounts.Document - 1);
}

/** Whether document `index` carries an embedding: a seeded draw per document, so the share is random-looking yet exact. */
export function documentHasEmbedding(resolved: ResolvedSampleGraphOptions, index: number): boolean {
  return SeededRandom.unit(resolved.seed, EMBEDDING_PRESENCE_STREAM, index) >= resolved.missingEmbeddings;
}

/**
 * The exact counts a load with these options produces, so tests can compare Neo4j's counts with
 * what was asked. Counting documents without embeddings costs one small draw per document.
 */
export function sampleCounts(options: SampleGraphOptions | ResolvedSampleGraphOptions = {}): SampleCounts {
  const r = 'labelCounts' in options ? options : resolveSampleGraphOptions(options);
  const c = r.labelCounts;
  const relationships: Record<SampleRelationshipType, number> = {
    WORKS_AT: c.Person,
    READ: c.Person * readsPerPerson(r),
    ABOUT: c.Document,
    SIMILAR_TO: c.Document * similarPerDocument(r),
  };
  let documentsWithoutEmbedding = 0;
  for (let i = 0; i < c.Document; i++) {
    if (!documentHasEmbedding(r, i)) documentsWithoutEmbedding++;
  }
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    nodes: { ...c },
    relationships,
    totalNodes: sum(c),
    totalRelationships: sum(relationships),
    documentsWithoutEmbedding,
  };
}
