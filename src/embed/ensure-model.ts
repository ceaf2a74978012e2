/**
 * Generated models that are reused across runs: each folder carries a stamp file naming the
 * generator version and options, and a model is regenerated only when the stamp differs or a file
 * is missing.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateBertModel, MODEL_GENERATOR_VERSION, type GenerateBertModelOptions } from './model-generator.js';

/** Name of the stamp file inside a generated model folder. */
export const MODEL_STAMP_FILE = 'generator-stamp.json';

/** Test model: real width (768) so vectors fit Engram, one layer so unit tests stay fast. */
export const TINY_MODEL: GenerateBertModelOptions = { seed: 20240601, hiddenSize: 768, layers: 1, heads: 12, intermediateSize: 3072, quantized: true };

/** Benchmark model: the shape and cost of bert-base / mpnet-base (768 wide, 12 layers). */
export const BENCH_MODEL: GenerateBertModelOptions = { seed: 20240602, hiddenSize: 768, layers: 12, heads: 12, intermediateSize: 3072, quantized: true };

/** The generated models the project uses, by folder name under `models/`. */
export const MODEL_PRESETS: Readonly<Record<'tiny' | 'bench', GenerateBertModelOptions>> = { tiny: TINY_MODEL, bench: BENCH_MODEL };

/** Result of {@link ensureModel}. */
export interface EnsuredModel {
  dir: string;
  /** False when the folder already held this model. */
  generated: boolean;
  bytes: number;
  ms: number;
}

function stampOf(opts: GenerateBertModelOptions): string {
  return `${JSON.stringify({ generatorVersion: MODEL_GENERATOR_VERSION, options: opts }, null, 2)}\n`;
}

/** True when `dir` holds every file of a model generated with `opts` by this generator version. */
export async function modelStampMatches(dir: string, opts: GenerateBertModelOptions): Promise<boolean> {
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];
  if (opts.quantized === true) files.push('onnx/model_quantized.onnx');
  if (!files.every((f) => existsSync(join(dir, f)))) return false;
  try {
    return (await readFile(join(dir, MODEL_STAMP_FILE), 'utf8')) === stampOf(opts);
  } catch {
    return false;
  }
}

/** Generates the model into `dir` unless it is already there (or `force` is set). */
export async function ensureModel(dir: string, opts: GenerateBertModelOptions, force = false): Promise<EnsuredModel> {
  if (!force && (await modelStampMatches(dir, opts))) return { dir, generated: false, bytes: 0, ms: 0 };
  const result = await generateBertModel(dir, opts);
  // Written last: an interrupted generation leaves no stamp and is redone next time.
  await writeFile(join(dir, MODEL_STAMP_FILE), stampOf(opts));
  return { ...result, generated: true };
}
