import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModel } from '../../src/embed/ensure-model.js';
import { generateBertModel, type GenerateBertModelOptions } from '../../src/embed/model-generator.js';
import { buildVocabulary, SPECIAL_TOKENS, vocabularyOfSize } from '../../src/embed/vocabulary.js';

const SMALL: GenerateBertModelOptions = { seed: 7, hiddenSize: 64, layers: 2, heads: 4, intermediateSize: 128, quantized: true };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'embed-generator-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path.slice(dir.length), await readFile(path));
  }
  return out;
}

function decodeModel(bytes: Buffer): onnxProto.onnx.ModelProto {
  return onnxProto.onnx.ModelProto.decode(bytes);
}

describe('generateBertModel', () => {
  it('writes the same bytes for the same seed and different weights for another seed', async () => {
    const [a, b, c] = [join(root, 'a'), join(root, 'b'), join(root, 'c')];
    await generateBertModel(a, SMALL);
    await generateBertModel(b, SMALL);
    await generateBertModel(c, { ...SMALL, seed: 8 });
    const [fa, fb, fc] = await Promise.all([filesOf(a), filesOf(b), filesOf(c)]);
    expect([...fa.keys()].sort()).toEqual(['/config.json', '/onnx/model.onnx', '/onnx/model_quantized.onnx', '/tokenizer.json', '/tokenizer_config.json']);
    for (const [name, bytes] of fa) expect(bytes.equals(fb.get(name) as Buffer), name).toBe(true);
    expect(fa.get('/onnx/model.onnx')?.equals(fc.get('/onnx/model.onnx') as Buffer)).toBe(false);
    expect(fa.get('/tokenizer.json')?.equals(fc.get('/tokenizer.json') as Buffer)).toBe(true);
  });

  it('writes a BERT config and a graph with the transformers.js inputs and output', async () => {
    const dir = join(root, 'graph');
    const result = await generateBertModel(dir, SMALL);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: 'bert', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128 });
    expect(config.vocab_size).toBe(buildVocabulary().length);
    const fp32 = decodeModel(await readFile(join(dir, 'onnx/model.onnx')));
    expect(fp32.graph?.input?.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(fp32.graph?.output?.map((o) => o.name)).toEqual(['last_hidden_state']);
    const ops = fp32.graph?.node?.map((n) => n.opType) ?? [];
    expect(ops.filter((op) => op === 'LayerNormalization')).toHaveLength(1 + 2 * SMALL.layers);
    expect(ops.filter((op) => op === 'Softmax')).toHaveLength(SMALL.layers);
    expect(ops.filter((op) => op === 'Erf')).toHaveLength(SMALL.layers);
    const q8 = decodeModel(await readFile(join(dir, 'onnx/model_quantized.onnx')));
    expect(q8.graph?.node?.filter((n) => n.opType === 'MatMulInteger')).toHaveLength(6 * SMALL.layers);
    const sizes = await filesOf(dir);
    expect(result.bytes).toBe([...sizes.values()].reduce((n, b) => n + b.length, 0));
  });

  it('rejects a hidden size the heads do not divide and non-positive sizes', async () => {
    await expect(generateBertModel(join(root, 'bad'), { ...SMALL, heads: 5 })).rejects.toThrow(/divisible/);
    await expect(generateBertModel(join(root, 'bad'), { ...SMALL, layers: 0 })).rejects.toThrow(/layers/);
  });
});

describe('generated tokenizer', () => {
  it('tokenises a known sentence to the expected ids', async () => {
    const dir = join(root, 'tok');
    await generateBertModel(dir, { ...SMALL, quantized: false });
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const vocab = buildVocabulary();
    const expected = ['[CLS]', 'the', 'migration', 'of', 'neo4j', 'nodes', ',', 'un', '##be', '##li', '##ev', '##able', '!', '[UNK]', '[SEP]'];
    const encoded = tokenizer('The MIGRATION of Neo4j nodes, unbelievable! 😀');
    const ids = Array.from(encoded.input_ids.data as BigInt64Array, Number);
    expect(ids).toEqual(expected.map((t) => vocab.indexOf(t)));
    expect(expected.every((t) => vocab.indexOf(t) >= 0)).toBe(true);
    expect(Array.from(encoded.token_type_ids?.data as BigInt64Array, Number)).toEqual(expected.map(() => 0));
  });
});

describe('vocabulary', () => {
  it('starts with the special tokens, has no duplicates and holds 2-4k tokens', () => {
    const vocab = buildVocabulary();
    expect(vocab.slice(0, 5)).toEqual([...SPECIAL_TOKENS]);
    expect(new Set(vocab).size).toBe(vocab.length);
    expect(vocab.length).toBeGreaterThanOrEqual(2000);
    expect(vocab.length).toBeLessThanOrEqual(4000);
  });

  it('cuts or pads to an exact size', () => {
    expect(vocabularyOfSize(300)).toHaveLength(300);
    const padded = vocabularyOfSize(buildVocabulary().length + 3);
    expect(padded.slice(-3)).toEqual(['[unused0]', '[unused1]', '[unused2]']);
    expect(() => vocabularyOfSize(10)).toThrow(RangeError);
  });
});

describe('ensureModel', () => {
  it('skips a model whose stamp matches and regenerates when the options change', async () => {
    const dir = join(root, 'ensure');
    const opts = { ...SMALL, quantized: false };
    expect((await ensureModel(dir, opts)).generated).toBe(true);
    expect((await ensureModel(dir, opts)).generated).toBe(false);
    expect((await ensureModel(dir, { ...opts, seed: 99 })).generated).toBe(true);
    expect((await ensureModel(dir, { ...opts, seed: 99 }, true)).generated).toBe(true);
  });
});
