import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MigrateError } from '../errors.js';
import { writeFileDurably } from '../shared/durable-file.js';
import type { BundleManifest } from '../target/bundle-target.js';

/** Where `engram-migrate load` stands: the byte offset reached in each space file of one bundle. */
export interface LoadCheckpoint {
  bundle: string;
  /** {@link bundleIdentity} of the bundle's manifest: a resume against another bundle is refused. */
  bundleId: string;
  offsets: Record<string, number>;
  loaded: number;
  rejected: number;
  rejectLogLength: number;
}

/** A bundle's identity: its creation time and every file's checksum, from the manifest. */
export function bundleIdentity(manifest: BundleManifest): string {
  const files = [...Object.values(manifest.spaces), manifest.edges].map((f) => `${f.file}:${f.sha256}`).sort();
  return createHash('sha256')
    .update(JSON.stringify({ createdAt: manifest.createdAt, files }))
    .digest('hex')
    .slice(0, 32);
}

export const loadCheckpointPath = (runDir: string): string => join(runDir, 'load-checkpoint.json');

/**
 * The load checkpoint of `runDir` to resume from, or null when there is none. A checkpoint that is not
 * valid JSON, or that another bundle wrote, is a {@link MigrateError} `CHECKPOINT_INVALID`.
 */
export async function readLoadCheckpoint(runDir: string, bundleDir: string, bundleId: string): Promise<LoadCheckpoint | null> {
  const path = loadCheckpointPath(runDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MigrateError('CHECKPOINT_INVALID', `cannot read the load checkpoint ${path}: ${(err as Error).message}`, { cause: err });
  }
  let value: LoadCheckpoint;
  try {
    value = JSON.parse(text) as LoadCheckpoint;
  } catch (cause) {
    throw new MigrateError(
      'CHECKPOINT_INVALID',
      `the load checkpoint ${path} is not valid JSON; start the load over without --resume (or with another --run-dir)`,
      { cause },
    );
  }
  if (typeof value !== 'object' || value === null || typeof value.offsets !== 'object' || value.offsets === null) {
    throw new MigrateError('CHECKPOINT_INVALID', `the load checkpoint ${path} is not a load checkpoint`);
  }
  if (value.bundleId !== bundleId) {
    throw new MigrateError(
      'CHECKPOINT_INVALID',
      `the load checkpoint ${path} belongs to another bundle (${String(value.bundle)}, id ${String(value.bundleId ?? 'none')}), not ${bundleDir} (id ${bundleId}); resume with that bundle, or load this one without --resume or with another --run-dir`,
    );
  }
  return value;
}

/** Saves the checkpoint atomically and durably (fsync of the file and of the run directory). */
export async function saveLoadCheckpoint(runDir: string, checkpoint: LoadCheckpoint): Promise<void> {
  const path = loadCheckpointPath(runDir);
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurably(path, JSON.stringify(checkpoint));
}
