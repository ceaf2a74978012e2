import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBundleLines } from '../../../src/engine/bundle-batch.js';
import { digestFile } from '../../../src/target/bundle-target.js';
import { parseMemoryLine, readManifest } from '../../../src/target/bundle-reader.js';
import { bundleLine, writeBundle } from '../../helpers/bundle-fixture.js';

const nanEmbedding = (): string => {
  const v = new Float32Array(768).fill(0.5);
  v[7] = Number.NaN;
  return Buffer.from(v.buffer).toString('base64');
};

describe('readManifest', () => {
  it.each([
    ['a path out of the bundle', (outside: string) => join('..', outside.split('/').at(-2)!, 'outside.ndjson')],
    ['an absolute path', (outside: string) => outside],
  ])('refuses a file field that is %s, even when its checksum matches', async (_what, fileFor) => {
    const dir = await writeBundle({ docs: [bundleLine('a', 'docs')] });
    const outsideDir = mkdtempSync(join(tmpdir(), 'em-outside-'));
    const outside = join(outsideDir, 'outside.ndjson');
    writeFileSync(outside, bundleLine('secret', 'docs'));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const file = fileFor(outside);
    manifest.spaces.docs = { file, ...(await digestFile(outside)) };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(readManifest(dir, true)).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      message: expect.stringMatching(/spaces\.docs\.file .* is not a file inside the bundle/),
    });
  });

  it('accepts the files a backfill writes', async () => {
    const dir = await writeBundle({ docs: [bundleLine('a', 'docs')] });
    expect((await readManifest(dir, true)).spaces.docs!.count).toBe(1);
  });
});

describe('parseMemoryLine', () => {
  it('accepts a line as the backfill writes it', () => {
    expect(parseMemoryLine(bundleLine('a', 'docs'), 'f').vector).toHaveLength(768);
  });

  it.each([
    ['id', { id: 7 }],
    ['memory_space_id', { memory_space_id: 'No Spaces!' }],
    ['content', { content: '' }],
    ['content', { content: 'x'.repeat(100_001) }],
    ['confidence', { confidence: 1.5 }],
    ['confidence', { confidence: '0.5,"id":"evil"' }],
    ['timestamp', { timestamp: 'yesterday' }],
    ['memory_type', { memory_type: undefined }],
    ['embedding_f32', { embedding_f32: Buffer.from(new Float32Array(3).buffer).toString('base64') }],
    ['embedding', { embedding_f32: nanEmbedding() }],
  ])('refuses a bad %s', (field, override) => {
    expect(() => parseMemoryLine(bundleLine('a', 'docs', override), 'memories/docs.ndjson line 3')).toThrow(
      expect.objectContaining({ code: 'BUNDLE_INVALID', message: expect.stringContaining(field) }),
    );
  });

  it('never lets a field change the shape of the Engram request', () => {
    const evil = bundleLine('a', 'docs', { confidence: '0.5,"memory_space_id":"other"' });
    expect(() => encodeBundleLines([evil], 'memories/docs.ndjson')).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
  });
});
