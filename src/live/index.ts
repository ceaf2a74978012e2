/**
 * The live-migration library: the phases of the article that run inside the user's own service.
 * Adapters for both stores behind one `GraphDatabase` interface, the dual writer with its durable
 * dead-letter queue, the shadow reader, the gradual cutover router and its schedule, Prometheus metrics
 * and the measured migration checklist.
 */
export type {
  GraphDatabase,
  LiveMemory,
  LiveEdge,
  ActivationQuery,
  ActivationHit,
  ActivationResult,
  EdgeWriteResult,
  StoredLiveMemory,
  StoreCapabilities,
} from './graph-database.js';
export { liveMemoryFromRecord } from './graph-database.js';
export { Neo4jGraphDatabase, neo4jError } from './adapters/neo4j-graph-database.js';
export type { Neo4jGraphDatabaseOptions, Tombstone } from './adapters/neo4j-graph-database.js';
export type { SpreadingOptions } from './adapters/neo4j-activation.js';
export { EngramGraphDatabase, ENGRAM_EDGE_UNSUPPORTED } from './adapters/engram-graph-database.js';
export type { EngramGraphDatabaseOptions } from './adapters/engram-graph-database.js';
export type { EngramUpdateOptions } from './adapters/engram-update.js';
export { enableBoltNoDelay, createLiveNeo4jDriver } from './adapters/bolt-no-delay.js';

export { DeadLetterQueue } from './dlq/dead-letter-queue.js';
export type { DeadLetterQueueOptions, ClaimedEntry } from './dlq/dead-letter-queue.js';
export type { DlqStats } from './dlq/dlq-state.js';
export type { DlqOp, DlqEntryState, DlqEntrySummary } from './dlq/dlq-entry.js';
export { readDlqLock, currentProcessIdentity } from './dlq/dlq-lock.js';
export type { DlqLockInfo, DlqLockOptions, ProcessIdentity } from './dlq/dlq-lock.js';
export type { QuarantinedLine, JournalIo } from './dlq/dlq-journal.js';
export { NdjsonLog } from './shadow/ndjson-log.js';
export type { NdjsonLogOptions } from './shadow/ndjson-log.js';
export { DlqReplayer } from './dlq/dlq-replayer.js';
export type { DlqReplayerOptions, ReplayRound } from './dlq/dlq-replayer.js';
export { DualWriteCoordinator } from './dual-write/dual-write-coordinator.js';
export type { DualWriteOptions, DualWriteStats, SecondaryBreakerOptions } from './dual-write/dual-write-coordinator.js';

export { ShadowReadCoordinator } from './shadow/shadow-read-coordinator.js';
export type { ShadowReadOptions, ShadowReport } from './shadow/shadow-read-coordinator.js';
export { overlapAtK, rankBiasedOverlap } from './shadow/ranking-similarity.js';
export { RollingSimilarity } from './shadow/rolling-similarity.js';
export type { SimilarityStatus, RollingSimilarityOptions } from './shadow/rolling-similarity.js';
export { LatencyHistogram } from './shadow/latency-histogram.js';
export type { LatencySummary } from './shadow/latency-histogram.js';

export { CutoverRouter, keyBucket } from './cutover/cutover-router.js';
export type { CutoverRouterOptions } from './cutover/cutover-router.js';
export {
  CutoverScheduleRunner,
  DEFAULT_CUTOVER_STEPS,
  beginCutoverSchedule,
  setCutoverPercent,
  cutoverStatus,
  parseCutoverSteps,
  parseDuration,
} from './cutover/cutover-schedule.js';
export type { CutoverScheduleOptions } from './cutover/cutover-schedule.js';
export { readCutoverState, writeCutoverState, updateCutoverState, watchCutoverState, initialCutoverState, parseCutoverState } from './cutover/cutover-state.js';
export { FileCutoverStore, cutoverStore } from './cutover/cutover-store.js';
export type { CutoverStateStore, CutoverStateChange } from './cutover/cutover-store.js';
export { Neo4jCutoverStore } from './cutover/neo4j-cutover-store.js';
export type { Neo4jCutoverStoreOptions } from './cutover/neo4j-cutover-store.js';
export type { CutoverState, CutoverStep, CutoverScheduleState, CutoverPhase, GateRecord, ArchiveRecord } from './cutover/cutover-state.js';
export { phaseOf, promoteCutover, demoteCutover, retireNeo4j, recordGateCheck, recordArchive, nextGateRecord } from './cutover/cutover-phase.js';
export { archiveNeo4j, verifyArchive } from './decommission/neo4j-archive.js';
export type { ArchiveOptions, ArchiveSummary } from './decommission/neo4j-archive.js';
export { ErrorWindow } from './cutover/error-window.js';
export type { ErrorWindowStats } from './cutover/error-window.js';

export { LiveMetrics } from './live-metrics.js';
export type { LiveMetricsOptions } from './live-metrics.js';

export { runChecklist } from './checklist/checklist.js';
export type { ChecklistOptions, ChecklistReport, ChecklistRow, ChecklistStatus } from './checklist/checklist.js';
export { probeActivation } from './checklist/activation-probe.js';
export type { ActivationProbeOptions, ActivationProbeResult, StoreProbe } from './checklist/activation-probe.js';
