/**
 * The live-migration library: the phases of the article that run inside the user's own service.
 * Adapters for both stores behind one `GraphDatabase` interface, the dual writer with its durable
 * dead-letter queue, the shadow reader, the gradual cutover router and its schedule, Prometheus metrics
 * and the measured migration checklist.
 */
export type { GraphDatabase, LiveMemory, LiveEdge, ActivationQuery, ActivationHit, ActivationResult, EdgeWriteResult, StoredLiveMemory, StoreCapabilities } from './graph-database.js';
export { liveMemoryFromRecord } from './graph-database.js';
export { Neo4jGraphDatabase, neo4jError } from './neo4j-graph-database.js';
export type { Neo4jGraphDatabaseOptions, Tombstone } from './neo4j-graph-database.js';
export type { SpreadingOptions } from './neo4j-activation.js';
export { EngramGraphDatabase, ENGRAM_EDGE_UNSUPPORTED } from './engram-graph-database.js';
export type { EngramGraphDatabaseOptions } from './engram-graph-database.js';
export type { EngramUpdateOptions } from './engram-update.js';
export { enableBoltNoDelay, createLiveNeo4jDriver } from './bolt-no-delay.js';

export { DeadLetterQueue } from './dead-letter-queue.js';
export type { DeadLetterQueueOptions, ClaimedEntry } from './dead-letter-queue.js';
export type { DlqStats } from './dlq-state.js';
export type { DlqOp, DlqEntryState, DlqEntrySummary } from './dlq-entry.js';
export { readDlqLock, currentProcessIdentity } from './dlq-lock.js';
export type { DlqLockInfo, DlqLockOptions, ProcessIdentity } from './dlq-lock.js';
export type { QuarantinedLine, JournalIo } from './dlq-journal.js';
export { NdjsonLog } from './ndjson-log.js';
export type { NdjsonLogOptions } from './ndjson-log.js';
export { DlqReplayer } from './dlq-replayer.js';
export type { DlqReplayerOptions, ReplayRound } from './dlq-replayer.js';
export { DualWriteCoordinator } from './dual-write-coordinator.js';
export type { DualWriteOptions, DualWriteStats, SecondaryBreakerOptions } from './dual-write-coordinator.js';

export { ShadowReadCoordinator } from './shadow-read-coordinator.js';
export type { ShadowReadOptions, ShadowReport } from './shadow-read-coordinator.js';
export { overlapAtK, rankBiasedOverlap } from './ranking-similarity.js';
export { RollingSimilarity } from './rolling-similarity.js';
export type { SimilarityStatus, RollingSimilarityOptions } from './rolling-similarity.js';
export { LatencyHistogram } from './latency-histogram.js';
export type { LatencySummary } from './latency-histogram.js';

export { CutoverRouter, keyBucket } from './cutover-router.js';
export type { CutoverRouterOptions } from './cutover-router.js';
export { CutoverScheduleRunner, DEFAULT_CUTOVER_STEPS, beginCutoverSchedule, setCutoverPercent, cutoverStatus, parseCutoverSteps, parseDuration } from './cutover-schedule.js';
export type { CutoverScheduleOptions } from './cutover-schedule.js';
export { readCutoverState, writeCutoverState, updateCutoverState, watchCutoverState, initialCutoverState, parseCutoverState } from './cutover-state.js';
export { FileCutoverStore, cutoverStore } from './cutover-store.js';
export type { CutoverStateStore, CutoverStateChange } from './cutover-store.js';
export { Neo4jCutoverStore } from './neo4j-cutover-store.js';
export type { Neo4jCutoverStoreOptions } from './neo4j-cutover-store.js';
export type { CutoverState, CutoverStep, CutoverScheduleState } from './cutover-state.js';
export { ErrorWindow } from './error-window.js';
export type { ErrorWindowStats } from './error-window.js';

export { LiveMetrics } from './live-metrics.js';
export type { LiveMetricsOptions } from './live-metrics.js';

export { runChecklist } from './checklist.js';
export type { ChecklistOptions, ChecklistReport, ChecklistRow, ChecklistStatus } from './checklist.js';
export { probeActivation } from './activation-probe.js';
export type { ActivationProbeOptions, ActivationProbeResult, StoreProbe } from './activation-probe.js';
