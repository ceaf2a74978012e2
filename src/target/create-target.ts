import type { ResolvedConfig } from '../config/config-schema.js';
import { BundleTarget } from './bundle-target.js';
import { EngramTarget } from './engram-target.js';
import type { Target } from './target.js';

/** The target the config names: the bundle directory (default) or Engram over HTTP. */
export function createTarget(config: ResolvedConfig, options: { overwrite?: boolean; append?: boolean; onRetry?: (err: unknown) => void } = {}): Target {
  const t = config.target;
  if (t.kind === 'bundle') return new BundleTarget(t.path, { overwrite: options.overwrite ?? false, append: options.append ?? false });
  return new EngramTarget({
    url: t.url,
    apiKey: t.apiKey,
    connections: t.concurrency,
    timeoutMs: t.timeoutMs,
    maxRetries: t.maxRetries,
    retryBaseMs: t.retryBaseMs,
    retryMaxMs: t.retryMaxMs,
    capacityPerSpace: t.capacityPerSpace,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
}
