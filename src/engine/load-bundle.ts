import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.js';
import type { RejectRecord } from '../mapping/types.js';
import type { MemoryWriteResult } from '../target/target.js';
import { readLineChunks, readManifest } from '../target/bundle-reader.js';
import { encodeBundleLines, shardLayoutsOf } from './bundle-batch.js';
import { createEngramTarget } from '../target/create-target.js';
import { bundleIdentity, readLoadCheckpoint, saveLoadCheckpoint, type LoadCheckpoint } from './load-checkpoint.js';
import { RejectLog } from './reject-log.js';
import { acquireRunLocks, releaseRunLocks } from './run-lock.js';
import { WriteLimiter } from './write-limiter.js';
import { isAbortFrom, sleep } from '../shared/abort.js';
import { redactSecrets } from '../shared/redact.js';
import { errorMessage } from '../errors.js';

export interface LoadOptions {
  bundleDir: string;
  config: ResolvedConfig;
  resume?: boolean;
  signal?: AbortSignal;
  limiter?: WriteLimiter;
  onProgress?: (done: number, total: number) => void;
}

export interface LoadSummary {
  status: 'completed' | 'aborted' | 'failed';
  target: string;
  spaces: Record<string, { memories: number; loaded: number; rejected: number }>;
  loaded: number;
  rejected: number;
  edgesNotLoaded: number;
  durationMs: number;
  memoriesPerSecond: number;
  error: { code: string; message: string } | null;
  rejectLog: string;
}

/**
 * Replays a bundle into Engram (`engram-migrate load`): verifies the manifest's checksums, then sends
 * every memory with the run's token bucket, retries and lanes, checkpointing the byte offset of each
 * space file after every acknowledged batch so `--resume` continues exactly. Edges stay in the bundle
 * (Engram has no edge API).
 */
export async function loadBundle(options: LoadOptions): Promise<LoadSummary> {
  // One load per run directory and bundle at a time: two would share the checkpoint and send twice.
  const locks = await acquireRunLocks([options.config.runDir, options.bundleDir], 'load');
  try {
    return await loadLocked(options);
  } finally {
    await releaseRunLocks(locks);
  }
}

async function loadLocked(options: LoadOptions): Promise<LoadSummary> {
  const { config } = options;
  const started = Date.now();
  const manifest = await readManifest(options.bundleDir, true);
  const bundleId = bundleIdentity(manifest);
  await mkdir(config.runDir, { recursive: true });
  const previous = options.resume ? await readLoadCheckpoint(config.runDir, options.bundleDir, bundleId) : null;
  const cp: LoadCheckpoint = previous ?? { bundle: options.bundleDir, bundleId, offsets: {}, loaded: 0, rejected: 0, rejectLogLength: 0 };
  const target = createEngramTarget(config);
  const limiter = options.limiter ?? new WriteLimiter({ rate: config.engine.rate, concurrency: config.target.concurrency });
  const rejectLogPath = join(config.runDir, 'load-rejects.ndjson');
  const rejects = await RejectLog.open(rejectLogPath, cp.rejectLogLength);
  const total = Object.values(manifest.spaces).reduce((s, i) => s + i.count, 0);
  const spaces: LoadSummary['spaces'] = Object.fromEntries(Object.entries(manifest.spaces).map(([s, i]) => [s, { memories: i.count, loaded: 0, rejected: 0 }]));
  let error: unknown = null;
  try {
    await target.open();
    const layouts = shardLayoutsOf(manifest.info);
    // Batch k+1 is read and encoded while batch k is in flight, and batch k's rejects and checkpoint are
    // saved while batch k+1 is: the server is never idle waiting for the tool (bench/engram-real).
    // The checkpoint still records only acknowledged batches, in order.
    type InFlight = { write: Promise<MemoryWriteResult>; space: string; file: string; endOffset: number };
    let inflight = null as InFlight | null; // assigned in settle(): `as` keeps TypeScript from narrowing it to null
    const record = async (done: InFlight, outcome: MemoryWriteResult): Promise<void> => {
      const failed: RejectRecord[] = outcome.rejects.map((r) => ({ ...r, label: done.space }));
      await rejects.add(failed);
      cp.loaded += outcome.written;
      cp.rejected += failed.length;
      spaces[done.space]!.loaded += outcome.written;
      spaces[done.space]!.rejected += failed.length;
      cp.offsets[done.file] = done.endOffset;
      cp.rejectLogLength = await rejects.sync();
      await saveLoadCheckpoint(config.runDir, cp);
      options.onProgress?.(cp.loaded + cp.rejected, total);
    };
    const settle = async (next: InFlight | null): Promise<void> => {
      const done = inflight;
      const outcome = done ? await done.write : null;
      inflight = next;
      next?.write.catch(() => undefined); // awaited on the next turn; an early failure must not go unhandled meanwhile
      if (done && outcome) await record(done, outcome);
    };
    for (const [space, info] of Object.entries(manifest.spaces)) {
      let chunkStart = cp.offsets[info.file] ?? 0;
      for await (const chunk of readLineChunks(join(options.bundleDir, info.file), chunkStart, config.engine.batchSize)) {
        if (options.signal?.aborted) break;
        const batch = encodeBundleLines(chunk.lines, `${info.file} (batch from byte ${chunkStart})`, space, layouts.get(space));
        chunkStart = chunk.endOffset;
        if (inflight) await inflight.write; // one batch in flight at a time: at most `concurrency` requests
        const write = target.writeMemories(batch, limiter, options.signal);
        await settle({ write, space, file: info.file, endOffset: chunk.endOffset });
        if (config.engine.pauseMs > 0) {
          await settle(null);
          await sleep(config.engine.pauseMs, options.signal).catch(() => undefined);
        }
      }
    }
    await settle(null);
  } catch (err) {
    // Cut short by the interrupt: an abort (resumable from the checkpoint), not a failure.
    error = isAbortFrom(err, options.signal) ? null : err;
  } finally {
    await rejects.close();
    await limiter.stop();
    await target.close();
  }
  const durationMs = Date.now() - started;
  const code = (error as { code?: string } | null)?.code ?? 'INTERNAL';
  return {
    status: error ? 'failed' : options.signal?.aborted ? 'aborted' : 'completed',
    target: target.location,
    spaces,
    loaded: cp.loaded,
    rejected: cp.rejected,
    edgesNotLoaded: manifest.edges.count,
    durationMs,
    memoriesPerSecond: Math.round(((cp.loaded + cp.rejected) * 1000) / Math.max(durationMs, 1)),
    error: error ? { code, message: redactSecrets(errorMessage(error)) } : null,
    rejectLog: rejectLogPath,
  };
}
