import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { MigrateError } from '../errors.js';
import type { WorkerModelOptions, WorkerTask } from '../../workers/task-types.js';

export interface PoolSizing {
  workers: number;
  inferenceThreads: number;
}

/**
 * How busy the pool's threads were while it had work: `busyShare` = task run time summed over the threads
 * (piscina's run-time histogram) / (threads × the wall time during which at least one task was queued or
 * running). Null before any task ran.
 */
export interface PoolBusy {
  workers: number;
  tasks: number;
  activeSeconds: number;
  busySeconds: number;
  busyShare: number | null;
}

/**
 * Worker count and ONNX threads per worker so that workers × threads never exceeds the cores
 * (oversubscribing lost 10-25% here). 0 means "choose".
 */
export function choosePoolSizing(requested: { workers: number; inferenceThreads: number }, cores = availableParallelism()): PoolSizing {
  const workers = requested.workers > 0 ? requested.workers : Math.max(1, cores);
  const inferenceThreads = requested.inferenceThreads > 0 ? requested.inferenceThreads : Math.max(1, Math.floor(cores / workers));
  return { workers, inferenceThreads };
}

/**
 * A compiled thread entry (`dir` relative to the project root). Under vitest (TypeScript sources) it is
 * taken from `dist/`, so build first.
 */
export function workerFilename(name = 'backfill-worker', dir = 'workers', ext: 'js' | 'cjs' = 'js'): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, import.meta.url.endsWith('.ts') ? '../..' : '../../..');
  const compiled = join(root, 'dist', dir, `${name}.${ext}`);
  if (existsSync(compiled)) return compiled;
  throw new MigrateError('INTERNAL', `thread entry ${dir}/${name}.${ext} not found in ${join(root, 'dist')} (run "npm run build")`);
}

/** The piscina pool that runs mapping, inference, encoding and cosine work off the main thread. */
export class WorkerPool {
  readonly sizing: PoolSizing;
  readonly #pool: Piscina;
  /** The first error a worker raised outside a task (e.g. it failed to start). */
  #failure: MigrateError | null = null;
  /** Rejecters of the runs in flight, so a broken pool fails them instead of leaving them queued. */
  readonly #waiting = new Set<(err: unknown) => void>();
  /** Tasks submitted and not yet settled, and since when that count has been above zero. */
  #outstanding = 0;
  #activeSince = 0;
  #activeMs = 0;
  #tasks = 0;

  /** `options.filename`: another thread entry (tests). */
  constructor(sizing: PoolSizing, model: Omit<WorkerModelOptions, 'threads'> | null, options: { filename?: string } = {}) {
    this.sizing = sizing;
    this.#pool = new Piscina({
      filename: options.filename ?? workerFilename('backfill-worker-entry', 'workers', 'cjs'),
      minThreads: sizing.workers,
      maxThreads: sizing.workers,
      // Tasks queue here when every worker is busy. The engine bounds what it submits (pipeline depth ×
      // slices per page); piscina's 'auto' limit (threads², 4 on two cores) would throw under a slow target.
      maxQueue: Number.MAX_SAFE_INTEGER,
      idleTimeout: 60_000,
      workerData: { model: model ? { ...model, threads: sizing.inferenceThreads } : undefined },
    });
    // Without a listener piscina's 'error' is an uncaught exception, and a task waiting for a worker
    // that cannot start waits forever while piscina keeps respawning it.
    this.#pool.on('error', (cause: unknown) => {
      this.#failure ??= new MigrateError('INTERNAL', `a worker thread failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      for (const reject of this.#waiting) reject(this.#failure);
      this.#waiting.clear();
    });
  }

  /** The error that broke the pool, or null. */
  get failure(): MigrateError | null {
    return this.#failure;
  }

  run<R>(task: WorkerTask, signal?: AbortSignal): Promise<R> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#outstanding++ === 0) this.#activeSince = performance.now();
    this.#tasks++;
    return new Promise<R>((resolve, reject) => {
      this.#waiting.add(reject);
      (this.#pool.run(task, signal ? { signal } : {}) as Promise<R>).then(resolve, reject).finally(() => {
        this.#waiting.delete(reject);
        if (--this.#outstanding === 0) this.#activeMs += performance.now() - this.#activeSince;
      });
    });
  }

  /** See {@link PoolBusy}; read it before `close()`. */
  busy(): PoolBusy {
    const now = performance.now();
    const activeMs = this.#activeMs + (this.#outstanding > 0 ? now - this.#activeSince : 0);
    // piscina's run-time histogram (mean ms per task) × the tasks its workers completed. Not piscina's `utilization`: in
    // piscina 5.x it divides a mean in seconds by a capacity in ms, so it reads 1000× too low.
    const ran = this.#pool.completed;
    const busyMs = ran > 0 ? this.#pool.histogram.runTime.mean * ran : 0;
    const share = activeMs > 0 && this.#tasks > 0 ? Math.min(1, busyMs / (this.sizing.workers * activeMs)) : null;
    return {
      workers: this.sizing.workers,
      tasks: this.#tasks,
      activeSeconds: Number((activeMs / 1000).toFixed(3)),
      busySeconds: Number((busyMs / 1000).toFixed(3)),
      busyShare: share === null ? null : Number(share.toFixed(3)),
    };
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
