import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from '../config/config-schema.js';
import { ConfigError } from '../errors.js';
import { BundleTarget } from './bundle-target.js';
import type { EngramClientOptions } from './engram-client.js';
import { EngramTarget } from './engram-target.js';
import type { Target } from './target.js';

/** The target the config names: the bundle directory (default) or Engram over HTTP. */
export function createTarget(config: ResolvedConfig, options: { overwrite?: boolean; append?: boolean; onRetry?: (err: unknown) => void } = {}): Target {
  const t = config.target;
  if (t.kind === 'bundle') return new BundleTarget(t.path, { overwrite: options.overwrite ?? false, append: options.append ?? false });
  return createEngramTarget(config, options);
}

/** The TLS files of `target` (ca, cert, key), read; undefined when none is set. */
export function engramTls(target: ResolvedConfig['target']): EngramClientOptions['tls'] {
  const read = (option: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const file = target[option];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (cause) {
      throw new ConfigError(`target.${option}`, `cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  if (target.ca === undefined && target.cert === undefined && target.key === undefined) return undefined;
  const tls = { ca: read('ca'), cert: read('cert'), key: read('key') };
  return Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
}

/** Engram over HTTP with the config's connection, retry and TLS settings. */
export function createEngramTarget(config: ResolvedConfig, options: { onRetry?: (err: unknown) => void } = {}): EngramTarget {
  const t = config.target;
  const tls = engramTls(t);
  return new EngramTarget({
    url: t.url,
    apiKey: t.apiKey,
    connections: t.concurrency,
    timeoutMs: t.timeoutMs,
    maxRetries: t.maxRetries,
    retryBaseMs: t.retryBaseMs,
    retryMaxMs: t.retryMaxMs,
    capacityPerSpace: t.capacityPerSpace,
    ...(tls ? { tls } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
}
