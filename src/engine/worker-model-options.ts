import type { ResolvedConfig } from '../config/config-schema.js';
import { readSecretFile } from '../config/resolve-config.js';
import type { WorkerModelOptions } from '../../workers/task-types.js';

/**
 * What the worker threads need to generate embeddings, from the `model` section: the local model, or
 * the remote server with its API key (read here from `model.apiKeyFile` so workers never read secrets).
 */
export function workerModelOptions(model: ResolvedConfig['model']): Omit<WorkerModelOptions, 'threads'> {
  const { path, allowRemote, dtype, maxTokens, batchSize, device, sortByLength, tokensPerBatch } = model;
  const local = { path, allowRemote, dtype, maxTokens, batchSize, device, sortByLength, tokensPerBatch };
  if (model.provider === 'local') return local;
  const apiKey = model.apiKeyFile !== undefined ? readSecretFile(model.apiKeyFile, 'model.apiKeyFile') : model.apiKey;
  const { concurrency, timeoutMs, maxRetries, retryBaseMs, retryMaxMs, sendDimensions } = model;
  return { ...local, remote: { url: model.url!, name: model.name!, apiKey, sendDimensions, concurrency, timeoutMs, maxRetries, retryBaseMs, retryMaxMs } };
}
