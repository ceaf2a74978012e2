import type { TuneSetting } from './tune-types.js';

/** The article's batch sizes, from "too small" to "too large". */
export const DEFAULT_BATCH_SIZES = [100, 1_000, 5_000, 10_000, 50_000];

export interface TuneGridOptions {
  batchSizes: number[];
  workers: number[];
  inferenceThreads: number[];
  /** Engram connections to try; empty for the bundle target. */
  concurrency: number[];
  cores: number;
}

export interface PoolCombo {
  workers: number;
  inferenceThreads: number;
}

/** Worker × thread pairs that do not oversubscribe the cores (oversubscribing lost 10-25% here). */
export function poolCombos(workers: readonly number[], threads: readonly number[], cores: number): PoolCombo[] {
  const combos: PoolCombo[] = [];
  for (const w of workers) for (const t of threads) if (w * t <= cores) combos.push({ workers: w, inferenceThreads: t });
  return combos;
}

/** Default Engram connections to try: a quarter of, the same as and four times the configured number. */
export function defaultConcurrencyGrid(configured: number): number[] {
  return [...new Set([Math.max(1, Math.round(configured / 4)), configured, configured * 4])];
}

/** Every combination (`--search full`). */
export function fullGrid(o: TuneGridOptions): TuneSetting[] {
  const settings: TuneSetting[] = [];
  const lanes = o.concurrency.length > 0 ? o.concurrency : [null];
  for (const pool of poolCombos(o.workers, o.inferenceThreads, o.cores)) {
    for (const concurrency of lanes) for (const batchSize of o.batchSizes) settings.push({ batchSize, ...pool, concurrency });
  }
  return settings;
}

export function sameSetting(a: TuneSetting, b: TuneSetting): boolean {
  return a.batchSize === b.batchSize && a.workers === b.workers && a.inferenceThreads === b.inferenceThreads && a.concurrency === b.concurrency;
}

/**
 * The staged search (`--search staged`, default): stage 0 sweeps batch sizes at the starting pool and
 * connections; stage 1 tries the other pool layouts at the best setting so far; stage 2 (Engram only)
 * the other connection counts. Each knob is tried where the others are best, so the grid stays
 * small: 5 + 2 + 2 slices by default instead of 5 × 3 × 3. Returns [] after the last stage.
 */
export function stageSettings(stage: number, best: TuneSetting, o: TuneGridOptions): TuneSetting[] {
  if (stage === 0) return o.batchSizes.map((batchSize) => ({ ...best, batchSize }));
  if (stage === 1) return poolCombos(o.workers, o.inferenceThreads, o.cores).map((p) => ({ ...best, ...p }));
  if (stage === 2 && best.concurrency !== null) return o.concurrency.map((concurrency) => ({ ...best, concurrency }));
  return [];
}
