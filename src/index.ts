/**
 * engram-migrate's library API. Everything a Node service or script needs to backfill, load, validate
 * and run the live migration; nothing from engine internals.
 */
export { backfill } from './engine/backfill.js';
export type { BackfillOptions } from './engine/backfill.js';
export type { BackfillSummary, BackfillStatus, BackfillPhase, ProgressEvent } from './engine/backfill-types.js';
export type { CommittedBatch } from './engine/run-context.js';
export type { RunCounters } from './engine/checkpoint-store.js';
export type { BackfillPlan, LabelPlan, SpacePlan } from './engine/plan.js';
export { WriteLimiter } from './engine/write-limiter.js';
export type { LimiterSettings } from './engine/write-limiter.js';
export { writeControl, watchControl } from './engine/control-file.js';
export { loadBundle } from './engine/load-bundle.js';
export type { LoadOptions, LoadSummary } from './engine/load-bundle.js';

export { validate } from './validate/validate.js';
export type { ValidateOptions } from './validate/validate.js';
export type { ValidationReport, ValidationThresholds, ValidationFault, FaultKind } from './validate/validation-report.js';

export { resolveConfig, resolveLayeredConfig, loadConfigFile, mergeOptions, ENVIRONMENT_VARIABLES } from './config/resolve-config.js';
export type { PartialOptions } from './config/resolve-config.js';
export type { MigrateOptions, ResolvedConfig, ResolvedMapping } from './config/config-schema.js';

export { mapNode, memoryIdOf, spaceForLabel } from './mapping/node-mapper.js';
export { memoryIdForKey, memoryIdForElement, parseMemoryId, keyValueOf } from './mapping/memory-id.js';
export type { KeyValue, ParsedMemoryId } from './mapping/memory-id.js';
export { spaceOf, shardSpaces, shardHash } from './mapping/shard.js';
export type { ShardLayout } from './mapping/shard.js';
export { mapRelationship, edgeWeight } from './mapping/edge-mapper.js';
export { EMBEDDING_DIM, MAX_CONTENT_BYTES, SPACE_CAPACITY } from './mapping/types.js';
export type { MemoryRecord, EdgeRecord, LabelKey, RejectRecord, RejectCode, SourceNode, SourceRelationship, RelationshipEnd } from './mapping/types.js';

export { EngramClient } from './target/engram-client.js';
export type { EngramClientOptions, EngramMemory, EngramRecallHit } from './target/engram-client.js';
export { BundleTarget } from './target/bundle-target.js';
export type { BundleManifest } from './target/bundle-target.js';
export { EngramTarget } from './target/engram-target.js';
export type { Target, TargetCapabilities, WriteGate } from './target/target.js';
export { Neo4jSource } from './source/neo4j-source.js';

export { MigrateError, ConfigError, SourceError, TargetError, CapacityError, EmbeddingServerError, AbortError, isRetriable } from './errors.js';
export type { ErrorCode } from './errors.js';

export * from './live/index.js';
