/**
 * Writes a BERT-architecture model with random, deterministic weights in the folder layout
 * transformers.js loads (`config.json`, `tokenizer.json`, `tokenizer_config.json`,
 * `onnx/model.onnx`, optionally `onnx/model_quantized.onnx`). Its vectors carry no meaning; it
 * runs the same code at the same cost as a real model of the same shape.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERT_INPUTS, bertOutputs, buildBertGraph, type BertShape, type LinearWriter } from './bert-graph.js';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';
import { quantizedLinear } from './quantized-linear.js';
import { buildTokenizerConfig, buildTokenizerJson } from './tokenizer-files.js';
import { buildVocabulary, vocabularyOfSize } from './vocabulary.js';

/** Bumped whenever the generator's output changes for the same options. */
export const MODEL_GENERATOR_VERSION = 1;

/** Options of {@link generateBertModel}. */
export interface GenerateBertModelOptions {
  seed: number;
  hiddenSize?: number;
  layers: number;
  heads: number;
  intermediateSize: number;
  /** The token list (first five must be the special tokens) or a size for the default list. */
  vocab?: string[] | number;
  maxPositions?: number;
  /** Also write an int8 `onnx/model_quantized.onnx` with the same weights, dynamically quantized. */
  quantized?: boolean;
}

/** What {@link generateBertModel} wrote. */
export interface GeneratedModel {
  dir: string;
  /** Total bytes of all files written. */
  bytes: number;
  /** Wall time of the generation. */
  ms: number;
}

function checkShape(shape: BertShape): void {
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

function resolveVocab(vocab: string[] | number | undefined): string[] {
  if (vocab === undefined) return buildVocabulary();
  return typeof vocab === 'number' ? vocabularyOfSize(vocab) : vocab;
}

/** The Hugging Face `config.json` object of a BERT with this shape. */
export function buildBertConfig(shape: BertShape): object {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: shape.hiddenSize,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediateSize,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: shape.maxPositions,
    type_vocab_size: 2,
    vocab_size: shape.vocabSize,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    transformers_version: '4.46.0',
  };
}

/** Serialises the encoder graph to ONNX bytes. */
export function buildBertOnnx(seed: number, shape: BertShape, linear?: LinearWriter): Uint8Array {
  const g = new OnnxGraphBuilder();
  buildBertGraph(g, seed, shape, linear);
  return g.toBytes({
    graphName: 'bert',
    inputs: BERT_INPUTS,
    outputs: bertOutputs(shape.hiddenSize),
    opset: 17,
    producerName: 'engram-migrate model-generator',
    producerVersion: String(MODEL_GENERATOR_VERSION),
  });
}

async function writeAll(dir: string, files: Record<string, string | Uint8Array>): Promise<number> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  let bytes = 0;
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), content);
    bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
  }
  return bytes;
}

/**
 * Generates a random BERT into `dir` (created if missing; existing files are overwritten).
 * Same options → same bytes.
 *
 * @example
 * await generateBertModel('models/tiny', { seed: 1, layers: 1, heads: 12, intermediateSize: 3072 });
 */
export async function generateBertModel(dir: string, opts: GenerateBertModelOptions): Promise<GeneratedModel> {
  const started = performance.now();
  const vocab = resolveVocab(opts.vocab);
  const shape: BertShape = {
    hiddenSize: opts.hiddenSize ?? 768,
    layers: opts.layers,
    heads: opts.heads,
    intermediateSize: opts.intermediateSize,
    vocabSize: vocab.length,
    maxPositions: opts.maxPositions ?? 512,
  };
  checkShape(shape);
  const json = (o: object) => `${JSON.stringify(o, null, 2)}\n`;
  let bytes = await writeAll(dir, {
    'config.json': json(buildBertConfig(shape)),
    'tokenizer.json': json(buildTokenizerJson(vocab)),
    'tokenizer_config.json': json(buildTokenizerConfig(shape.maxPositions)),
    'onnx/model.onnx': buildBertOnnx(opts.seed, shape),
  });
  if (opts.quantized === true) {
    bytes += await writeAll(dir, { 'onnx/model_quantized.onnx': buildBertOnnx(opts.seed, shape, quantizedLinear) });
  }
  return { dir, bytes, ms: performance.now() - started };
}
