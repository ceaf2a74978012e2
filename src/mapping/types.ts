/** Records as they move source → mapping → engine → target. Pure data; no I/O. */

/** An Engram memory space id: 3-64 characters of a-z, 0-9, _ and - (a shard's suffix included). */
export const SPACE_ID = /^[a-z0-9_-]{3,64}$/;

/** Engram stores exactly this many dimensions per embedding. */
export const EMBEDDING_DIM = 768;
/** Engram refuses content above this many UTF-8 bytes. */
export const MAX_CONTENT_BYTES = 100_000;
/** Engram keeps at most this many memories per space before it evicts. */
export const SPACE_CAPACITY = 100_000;

/** Why a record could not be migrated. Stable: reject logs and reports key on it. */
export type RejectCode =
  | 'MISSING_KEY'
  | 'INVALID_KEY'
  | 'DUPLICATE_KEY'
  | 'EMBEDDING_WIDTH'
  | 'EMBEDDING_NOT_FINITE'
  | 'EMBEDDING_INVALID'
  | 'NO_TEXT_FOR_EMBEDDING'
  | 'CONTENT_EMPTY'
  | 'CONTENT_TOO_LARGE'
  | 'UNSUPPORTED_PROPERTY'
  | 'INVALID_TIMESTAMP'
  | 'INVALID_SPACE'
  | 'MISSING_ENDPOINT'
  | 'INVALID_WEIGHT'
  | 'ENDPOINT_REJECTED'
  | 'TARGET_REJECTED'
  | 'LIVE_RACE_UNSETTLED';

/** One line of the reject log: names the record and the field, says why. */
export interface RejectRecord {
  kind: 'node' | 'relationship';
  /** The record's key (node) or `source-[TYPE]->target` (relationship); null when the key is missing. */
  id: string | null;
  label: string | null;
  /** The Neo4j element id, so a record without a key can still be found. */
  elementId: string | null;
  field: string | null;
  code: RejectCode;
  reason: string;
}

/**
 * A property value after the source normalised it into something a worker thread can receive:
 * JSON values, bigint for integers outside the safe range, ISO strings for temporal values, and
 * a tagged object for types the mapping cannot carry.
 */
export type PropertyValue = null | boolean | number | bigint | string | PropertyValue[] | { $unsupported: string };

/** How the nodes of one label are identified, and so which memory id each gets (see memory-id.ts). */
export interface LabelKey {
  /** The key properties, in order (several: a composite key); empty: Neo4j's element id. */
  properties: string[];
  /** Where the choice came from: `mapping.keys`, `mapping.key`, a constraint of the database, or none. */
  source: 'keys' | 'key' | 'constraint' | 'element-id';
  /** A uniqueness or node-key constraint guards exactly these properties. */
  unique: boolean;
  /** Why this key, in words (shown in the plan). */
  reason: string;
}

/** A node as read from the source. The embedding property is carried apart from the others. */
export interface SourceNode {
  elementId: string;
  /** The label this node was streamed under (its first label in the run's label order). */
  label: string;
  labels: string[];
  /** The values of the label's key properties, in order (null where absent); empty for element-id keys. */
  keyValues: PropertyValue[];
  properties: Record<string, PropertyValue>;
  /** The embedding property as read, or undefined when the node has none. */
  embedding: number[] | undefined | PropertyValue;
}

/** One end of a relationship as read from the source. */
export interface RelationshipEnd {
  elementId: string;
  /** The label the node migrates under in this run, or null when it carries none of the run's labels. */
  label: string | null;
  /** The node's values of every key property the run uses (by property name). */
  keys: Record<string, PropertyValue>;
  /** Set when the node was rejected by the node phase: why (its reject code and reason). */
  rejected?: string;
}

export interface SourceRelationship {
  elementId: string;
  type: string;
  source: RelationshipEnd;
  target: RelationshipEnd;
  properties: Record<string, PropertyValue>;
}

/** A memory as Engram will hold it (the article's Memory struct, mapped onto Engram's API). */
export interface MemoryRecord {
  id: string;
  space: string;
  label: string;
  memoryType: string;
  content: string;
  embedding: Float32Array;
  embeddingSource: 'copied' | 'generated';
  /** RFC 3339; from the node's created-at property, else the time of migration. */
  timestamp: string;
  lastAccessed: string;
  strength: number;
  confidence: number;
}

/** An edge (the article's Edge struct). Engram cannot store it today; it goes to a sidecar. */
export interface EdgeRecord {
  source: string;
  sourceSpace: string;
  target: string;
  targetSpace: string;
  type: string;
  weight: number;
  /** Every property of the relationship, normalised like node properties. */
  properties: Record<string, PropertyValue>;
}
