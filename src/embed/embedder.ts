/**
 * Sentence embeddings with transformers.js on onnxruntime-node: tokenise (truncating at
 * `maxTokens`), run the encoder, mean-pool over the attention mask and L2-normalise straight into
 * the caller's Float32Array. Runs inside worker threads: it opens no connection unless
 * `allowRemote` is set, and then only transformers.js's own model download.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { AutoModel, AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { ConfigError, MigrateError, errorMessage } from '../errors.js';
import { planLengthBatches, type LengthBatchOptions } from './length-batches.js';
import { meanPoolNormalize } from './mean-pool.js';
import { restoreSuffix, specialSuffix } from './special-suffix.js';

/** Options of {@link createEmbedder}. */
export interface EmbedderOptions {
  /** A local model folder (transformers.js layout) or a hub id such as `Xenova/all-mpnet-base-v2`. */
  model: string;
  /** Folder that holds hub-id-named model folders; `model` is then looked up under it. */
  localModelRoot?: string;
  /** Allow transformers.js to download a missing model. Default false. */
  allowRemote?: boolean;
  /** `fp32` loads `onnx/model.onnx`, `q8` loads `onnx/model_quantized.onnx`. Default fp32. */
  dtype?: 'fp32' | 'q8';
  /** ONNX Runtime intra-op threads. Default 1. */
  threads?: number;
  /** Texts are truncated to this many tokens, [CLS] and [SEP] included. Default 256. */
  maxTokens?: number;
  /** ONNX Runtime execution provider: `cuda` needs onnxruntime-node's CUDA files and an NVIDIA GPU. Default cpu. */
  device?: 'cpu' | 'cuda';
  /**
   * Set: `embed` sorts its texts by token length and runs them in batches of similar length (see
   * length-batches.ts) instead of one padded call; results still land in row order.
   */
  lengthBatching?: LengthBatchOptions;
}

/** A loaded embedding model. */
export interface Embedder {
  /** Vector width (the model's hidden size). */
  readonly dim: number;
  /**
   * Writes one unit-length vector per text into `out`, text `i` at `(offset + i) * dim`.
   * `out` must hold at least `(offset + texts.length) * dim` floats.
   */
  embed(texts: string[], out: Float32Array, offset?: number): Promise<void>;
  /** Releases the ONNX session. The embedder must not be used afterwards. */
  dispose(): Promise<void>;
}

/** Defaults of {@link EmbedderOptions}. */
export const DEFAULT_EMBEDDER_OPTIONS = { allowRemote: false, dtype: 'fp32', threads: 1, maxTokens: 256, device: 'cpu' } as const;

/** What a user without a GPU runtime is told to do (README "GPU inference"). */
const CUDA_HINT =
  'onnxruntime-node has no usable CUDA execution provider here: it needs Linux x64, an NVIDIA GPU with its driver, CUDA 12 and cuDNN 9, and the CUDA files that onnxruntime-node downloads at install (reinstall it without onnxruntime-node-install-cuda=skip in .npmrc: npm rebuild onnxruntime-node), or set model.device: cpu';

interface ModelLocation {
  /** What transformers.js is given. */
  id: string;
  /** The folder named in errors. */
  path: string;
  localModelPath: string | undefined;
}

function locate(opts: EmbedderOptions): ModelLocation {
  if (opts.localModelRoot !== undefined) {
    const root = resolve(opts.localModelRoot);
    return { id: opts.model, path: join(root, opts.model), localModelPath: `${root}/` };
  }
  const looksLikePath = isAbsolute(opts.model) || opts.model.startsWith('.') || existsSync(opts.model);
  if (looksLikePath) {
    // An absolute path is not a valid hub id, so transformers.js reads it as a plain folder.
    const path = resolve(opts.model);
    return { id: path, path, localModelPath: undefined };
  }
  return { id: opts.model, path: join(env.localModelPath, opts.model), localModelPath: undefined };
}

function checkPositiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`embedding.${name}`, `must be a positive integer, got ${value}`);
  return value;
}

// transformers.js keeps its settings in one module-wide `env`: loads run one at a time so two
// embedders with different folders or remote settings never see each other's values.
let loadQueue: Promise<unknown> = Promise.resolve();

async function load(loc: ModelLocation, opts: EmbedderOptions, threads: number): Promise<[PreTrainedTokenizer, PreTrainedModel]> {
  env.allowLocalModels = true;
  env.allowRemoteModels = opts.allowRemote ?? DEFAULT_EMBEDDER_OPTIONS.allowRemote;
  if (loc.localModelPath !== undefined) env.localModelPath = loc.localModelPath;
  const localOnly = !env.allowRemoteModels;
  const tokenizer = await AutoTokenizer.from_pretrained(loc.id, { local_files_only: localOnly });
  const model = await AutoModel.from_pretrained(loc.id, {
    local_files_only: localOnly,
    device: opts.device ?? DEFAULT_EMBEDDER_OPTIONS.device,
    dtype: opts.dtype ?? DEFAULT_EMBEDDER_OPTIONS.dtype,
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  return [tokenizer, model];
}

class TransformersEmbedder implements Embedder {
  readonly dim: number;
  readonly #tokenizer: PreTrainedTokenizer;
  readonly #model: PreTrainedModel;
  readonly #maxTokens: number;
  readonly #scratch: Float64Array;
  readonly #suffix: bigint[];

  readonly #lengthBatching: LengthBatchOptions | undefined;

  constructor(tokenizer: PreTrainedTokenizer, model: PreTrainedModel, dim: number, maxTokens: number, lengthBatching?: LengthBatchOptions) {
    this.#lengthBatching = lengthBatching;
    this.#tokenizer = tokenizer;
    // Only right-padded tokenizers put the closing token at the end of the unpadded row.
    this.#suffix = tokenizer.padding_side === 'right' ? specialSuffix(tokenizer) : [];
    this.#model = model;
    this.dim = dim;
    this.#maxTokens = maxTokens;
    this.#scratch = new Float64Array(dim);
  }

  async embed(texts: string[], out: Float32Array, offset = 0): Promise<void> {
    if (texts.length === 0) return;
    if (!Number.isInteger(offset) || offset < 0 || out.length < (offset + texts.length) * this.dim) {
      throw new RangeError(`out holds ${out.length} floats; ${texts.length} vectors at offset ${offset} need ${(offset + texts.length) * this.dim}`);
    }
    if (this.#lengthBatching === undefined || texts.length === 1) return this.#embedPadded(texts, out, offset);
    const lengths = texts.map((t) => Math.min(this.#maxTokens, this.#tokenizer.encode(t).length));
    const batches = planLengthBatches(lengths, this.#lengthBatching);
    const scratch = new Float32Array(Math.max(...batches.map((b) => b.length)) * this.dim);
    for (const rows of batches) {
      await this.#embedPadded(
        rows.map((r) => texts[r]!),
        scratch,
        0,
      );
      rows.forEach((r, j) => out.set(scratch.subarray(j * this.dim, (j + 1) * this.dim), (offset + r) * this.dim));
    }
  }

  /** One encoder call over `texts`, padded to the longest; vectors written contiguously from `offset`. */
  async #embedPadded(texts: string[], out: Float32Array, offset: number): Promise<void> {
    const inputs = this.#tokenizer(texts, { padding: true, truncation: true, max_length: this.#maxTokens });
    const { input_ids: ids, attention_mask: mask } = inputs as { input_ids: TensorLike; attention_mask: TensorLike };
    const seqLength = ids.dims[1] as number;
    restoreSuffix(ids.data as BigInt64Array, mask.data as BigInt64Array, texts.length, seqLength, this.#maxTokens, this.#suffix);
    const { last_hidden_state: hidden } = (await this.#model(inputs)) as { last_hidden_state?: TensorLike };
    if (hidden === undefined) throw new MigrateError('INTERNAL', 'the model has no last_hidden_state output to mean-pool');
    try {
      const [batch, seq, dim] = hidden.dims as [number, number, number];
      if (dim !== this.dim || batch !== texts.length) throw new MigrateError('INTERNAL', `model returned dims [${hidden.dims.join(', ')}]`);
      meanPoolNormalize(hidden.data as Float32Array, mask.data as BigInt64Array, batch, seq, dim, out, offset * dim, this.#scratch);
    } finally {
      hidden.dispose?.();
    }
  }

  async dispose(): Promise<void> {
    await this.#model.dispose();
  }
}

interface TensorLike {
  dims: number[];
  data: unknown;
  dispose?: () => void;
}

/**
 * Loads a model and returns an {@link Embedder}. Load failures (missing folder, missing file,
 * bad graph) throw `MigrateError` with code `MODEL_LOAD_FAILED` naming the folder.
 *
 * @example
 * const embedder = await createEmbedder({ model: 'models/bench', threads: 2 });
 * const out = new Float32Array(2 * embedder.dim);
 * await embedder.embed(['first text', 'second text'], out);
 */
export async function createEmbedder(opts: EmbedderOptions): Promise<Embedder> {
  const threads = checkPositiveInt('threads', opts.threads ?? DEFAULT_EMBEDDER_OPTIONS.threads);
  const maxTokens = checkPositiveInt('maxTokens', opts.maxTokens ?? DEFAULT_EMBEDDER_OPTIONS.maxTokens);
  const loc = locate(opts);
  const loading = loadQueue.then(() => load(loc, opts, threads));
  loadQueue = loading.catch(() => undefined);
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  try {
    [tokenizer, model] = await loading;
  } catch (err) {
    const device = opts.device ?? DEFAULT_EMBEDDER_OPTIONS.device;
    const onDevice = device === 'cpu' ? '' : ` on device ${device}`;
    const hint = device === 'cuda' ? `; ${CUDA_HINT}` : '';
    throw new MigrateError('MODEL_LOAD_FAILED', `cannot load embedding model from ${loc.path}${onDevice}: ${errorMessage(err)}${hint}`, {
      cause: err,
      details: { path: loc.path, model: opts.model, device },
    });
  }
  const dim = Number((model.config as { hidden_size?: unknown }).hidden_size);
  if (!Number.isInteger(dim) || dim < 1) {
    await model.dispose();
    throw new MigrateError('MODEL_LOAD_FAILED', `model at ${loc.path} has no valid hidden_size in config.json`, { details: { path: loc.path } });
  }
  return new TransformersEmbedder(tokenizer, model, dim, maxTokens, opts.lengthBatching);
}
