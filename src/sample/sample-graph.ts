/**
 * The sample graph: a deterministic, seeded graph in the article's schema (Person -READ-> Document,
 * Document -SIMILAR_TO-> Document, 768-d embeddings on most documents) plus Topic and Organization nodes
 * whose properties cover the types a real migration meets (temporal values, lists, JSON-string maps,
 * absent properties, integers beyond 2^53, booleans). Generate it record by record, count it exactly
 * with {@link sampleCounts}, and load it into Neo4j with {@link loadSampleGraph}.
 *
 * @example
 * const expected = sampleCounts({ nodes: 2_000, seed: 1 });
 * const loaded = await loadSampleGraph(driver, { nodes: 2_000, seed: 1, clear: true });
 */
export {
  DEFAULT_SAMPLE_GRAPH_OPTIONS,
  EMBEDDING_PRESENCE_STREAM,
  MIN_SAMPLE_NODES,
  READS_PER_PERSON,
  SAMPLE_ENDPOINTS,
  SAMPLE_LABELS,
  SAMPLE_RELATIONSHIP_TYPES,
  SIMILAR_PER_DOCUMENT,
  documentHasEmbedding,
  readsPerPerson,
  resolveSampleGraphOptions,
  sampleCounts,
  similarPerDocument,
} from './sample-options.js';
export type {
  ResolvedSampleGraphOptions,
  SampleCounts,
  SampleGraphOptions,
  SampleLabel,
  SampleRelationshipType,
} from './sample-options.js';
export { generateSampleNode, sampleNodeBatches, sampleNodeId } from './sample-records.js';
export type { DocumentRecord, OrganizationRecord, PersonRecord, SampleNodeRecords, TopicRecord } from './sample-records.js';
export { generateSampleRelationships, sampleRelationshipBatches } from './sample-relationships.js';
export type { SampleRelationshipProperties, SampleRelationshipRecord } from './sample-relationships.js';
export { clearGraph, createSampleConstraints, loadSampleGraph } from './load-sample-graph.js';
export type { LoadProgress, LoadSampleGraphOptions, LoadSampleGraphResult } from './load-sample-graph.js';
export { SeededRandom } from './seeded-random.js';
