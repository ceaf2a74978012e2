import type { ResolvedConfig } from '../config/config-schema.js';
import { engramTls } from '../target/create-target.js';
import { EngramClient } from '../target/engram-client.js';
import { BundleSampleReader } from './bundle-sample-reader.js';
import { EngramSampleReader } from './engram-sample-reader.js';
import type { SampleTargetReader } from './target-sample.js';

/** The reader for the target the config names (bundle directory or Engram over HTTP). */
export function createSampleReader(config: ResolvedConfig, options: { windowed?: boolean } = {}): SampleTargetReader {
  const t = config.target;
  if (t.kind === 'bundle') return new BundleSampleReader(t.path, { windowed: options.windowed ?? false, edges: !options.windowed });
  const client = new EngramClient({
    url: t.url,
    apiKey: t.apiKey,
    connections: Math.min(t.concurrency, 16),
    timeoutMs: t.timeoutMs,
    maxRetries: t.maxRetries,
    retryBaseMs: t.retryBaseMs,
    retryMaxMs: t.retryMaxMs,
    tls: engramTls(t),
  });
  // During a backfill, listing whole spaces after every window would cost O(space) each time: read by id.
  return new EngramSampleReader(client, { capacityPerSpace: t.capacityPerSpace, mode: options.windowed ? 'by-id' : 'list' });
}
