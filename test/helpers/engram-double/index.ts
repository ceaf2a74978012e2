/**
 * TEST DOUBLE of the Engram HTTP server (not Engram). Entry point for tests and benchmarks;
 * product code must never import it. It mirrors /work/shared/docs/engram-api.md route by route.
 *
 * In process:
 * ```ts
 * const engram = await startEngramDouble({ auth: { keys: ['engram_key_k1_secret'] }, capacity: 1000 });
 * // ... point the Engram target at engram.url ...
 * engram.store.count('default');            // inspection API (embeddings included via get/list)
 * engram.setFaults({ seed: 1, errorRates: { 503: 0.05 }, latencyMs: 5, jitterMs: 10 });
 * engram.stats.writes.deduplicated;         // counters: requests, statuses, write outcomes, injections
 * await engram.stop();
 * ```
 * As a process (for benchmarks): `spawnEngramDouble({ faults })` or
 * `npx tsx test/helpers/engram-double/main.ts --port 0 --auth-key K --capacity N --faults '<json>'`,
 * then `POST /__double/faults`, `GET /__double/stats`, `POST /__double/seed`.
 */
export { startEngramDouble } from './engram-double-server.js';
export type { EngramDouble } from './engram-double-server.js';
export { spawnEngramDouble } from './spawn-engram-double.js';
export type { SpawnEngramDoubleOptions, SpawnedEngramDouble } from './spawn-engram-double.js';
export { EngramDoubleStore, isValidSpaceId, fillGaussian } from './engram-double-store.js';
export { lshMissProbability, LSH_BITS, LSH_TABLES } from './dedup-index.js';
export { MEMORY_PLACEHOLDER_EMBEDDING, EPISODE_PLACEHOLDER_EMBEDDING } from './write-routes.js';
export { validateFaults } from './fault-injector.js';
export * from './types.js';
