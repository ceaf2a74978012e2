/**
 * TEST DOUBLE of the Engram HTTP server (not Engram). Entry point for tests and benchmarks;
 * product code must never import it.
 */
export { startEngramDouble } from './engram-double-server.js';
export type { EngramDouble } from './engram-double-server.js';
export { spawnEngramDouble } from './spawn-engram-double.js';
export type { SpawnEngramDoubleOptions, SpawnedEngramDouble } from './spawn-engram-double.js';
export { EngramDoubleStore, isValidSpaceId, fillGaussian } from './engram-double-store.js';
export { lshMissProbability, LSH_BITS, LSH_TABLES } from './dedup-index.js';
export { MEMORY_PLACEHOLDER_EMBEDDING, EPISODE_PLACEHOLDER_EMBEDDING } from './write-routes.js';
export * from './types.js';
