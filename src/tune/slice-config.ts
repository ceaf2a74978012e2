import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.js';
import { SPACE_ID } from '../mapping/types.js';
import { resolveConfig } from '../config/resolve-config.js';
import { ConfigError } from '../errors.js';
import type { TuneSetting } from './tune-types.js';

/** A fresh scratch-space prefix such as `tune-3fa9c1`. */
export function scratchPrefix(): string {
  return `tune-${randomBytes(3).toString('hex')}`;
}

/** The scratch space of slice `index`; the name must be a valid Engram space id. */
export function scratchSpace(prefix: string, index: number | string): string {
  const space = `${prefix}-${index}`;
  if (!SPACE_ID.test(space)) throw new ConfigError('tune.scratchSpace', `scratch space ${JSON.stringify(space)} is not 3-64 characters of a-z, 0-9, _ and -`);
  return space;
}

/**
 * The config one slice runs with: the user's source, mapping and model, the slice's knobs, nodes only,
 * its own run directory; the bundle target writes into a scratch bundle, the Engram target into a scratch
 * space (every label mapped to it, so no real space is touched; over-capacity plans only warn because
 * a slice writes at most the target's capacity).
 */
export function sliceConfig(base: ResolvedConfig, setting: TuneSetting, dir: string, space: string | null, labels: readonly string[]): ResolvedConfig {
  const engine = { ...base.engine, batchSize: setting.batchSize, workers: setting.workers, inferenceThreads: setting.inferenceThreads, edges: false };
  const target =
    base.target.kind === 'bundle'
      ? { ...base.target, path: join(dir, 'bundle') }
      : { ...base.target, concurrency: setting.concurrency ?? base.target.concurrency, onOverflow: 'warn' as const };
  const mapping = space === null ? base.mapping : { ...base.mapping, spaces: Object.fromEntries(labels.map((l) => [l, space])), defaultSpace: space };
  return resolveConfig({ ...base, source: { ...base.source, labels: [...labels] }, engine, target, mapping, runDir: join(dir, 'run') });
}
