import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundleSampleReader } from '../../../src/validate/bundle-sample-reader.js';
import { leadingString, scanNdjson } from '../../../src/validate/ndjson-scan.js';
import { ABSENT, PRESENT, TargetSample } from '../../../src/validate/target-sample.js';

const D = 768;

function vector(seed: number): Float32Array {
  return Float32Array.from({ length: D }, (_, i) => Math.sin(seed * 1000 + i));
}

function memoryLine(id: string, space: string, content: string, v: Float32Array): string {
  const embedding_f32 = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return JSON.stringify({ id, memory_space_id: space, content, embedding_f32, confidence: 1 }) + '\n';
}

function bundle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'em-vbundle-'));
  mkdirSync(join(dir, 'memories'));
  writeFileSync(join(dir, 'memories', 'docs.ndjson'), ['a', 'b', 'c', 'q"uote'].map((id, i) => memoryLine(id, 'docs', `content ${id}`, vector(i))).join(''));
  writeFileSync(join(dir, 'memories', 'people.ndjson'), memoryLine('a', 'people', 'a person', vector(9)));
  const edges = [
    ['a', 'docs'],
    ['a', 'docs'],
    ['b', 'docs'],
    ['a', 'people'],
  ].map(([s, sp]) => JSON.stringify({ source: s, source_space: sp, target: 'x', target_space: 'docs', type: 'T', weight: 1 }) + '\n');
  writeFileSync(join(dir, 'edges.ndjson'), edges.join(''));
  return dir;
}

describe('scanNdjson and leadingString', () => {
  it('visits complete lines only and resumes from the end offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-scan-'));
    const path = join(dir, 'f.ndjson');
    writeFileSync(path, '{"id":"x"}\n{"id":"y"}\n{"id":"partial');
    const ids: string[] = [];
    const first = await scanNdjson(path, 0, (b, s, e) => ids.push(leadingString(b, s, e, Buffer.from('{"id":"'))!));
    expect(ids).toEqual(['x', 'y']);
    expect(first).toEqual({ lines: 2, endOffset: 22 });
    appendFileSync(path, '"}\n');
    const second = await scanNdjson(path, first.endOffset, () => undefined);
    expect(second.lines).toBe(1);
    expect(await scanNdjson(join(dir, 'absent.ndjson'), 0, () => undefined)).toEqual({ lines: 0, endOffset: 0 });
  });

  it('declines ids with escapes (the caller parses those lines)', () => {
    const line = Buffer.from('{"id":"a\\"b","x":1}');
    expect(leadingString(line, 0, line.length, Buffer.from('{"id":"'))).toBeNull();
    const other = Buffer.from('{"content":"a"}');
    expect(leadingString(other, 0, other.length, Buffer.from('{"id":"'))).toBeNull();
  });
});

describe('BundleSampleReader', () => {
  it('finds sampled memories per space, decodes their embeddings exactly, counts lines and edges', async () => {
    const dir = bundle();
    const sample = new TargetSample([
      { space: 'docs', id: 'a' },
      { space: 'docs', id: 'q"uote' },
      { space: 'people', id: 'a' },
      { space: 'docs', id: 'zzz' },
      { space: 'empty', id: 'a' },
    ]);
    await new BundleSampleReader(dir).read(sample, ['docs', 'people', 'empty']);
    expect([...sample.present]).toEqual([PRESENT, PRESENT, PRESENT, ABSENT, ABSENT]);
    expect(sample.contents.slice(0, 3)).toEqual(['content a', 'content q"uote', 'a person']);
    expect(sample.vectors.subarray(0, D)).toEqual(vector(0));
    expect(sample.vectors.subarray(2 * D, 3 * D)).toEqual(vector(9));
    expect(Object.fromEntries(sample.spaceCounts)).toEqual({ docs: 4, people: 1, empty: 0 });
    expect([...sample.edgeCounts!]).toEqual([2, 0, 1, 0, 0]);
  });

  it('windowed: each read sees only lines appended since the previous one', async () => {
    const dir = bundle();
    const reader = new BundleSampleReader(dir, { windowed: true, edges: false });
    const first = new TargetSample([{ space: 'docs', id: 'b' }]);
    await reader.read(first, ['docs']);
    expect(first.present[0]).toBe(PRESENT);
    appendFileSync(join(dir, 'memories', 'docs.ndjson'), memoryLine('d', 'docs', 'new', vector(4)));
    const second = new TargetSample([
      { space: 'docs', id: 'b' },
      { space: 'docs', id: 'd' },
    ]);
    await reader.read(second, ['docs']);
    expect([...second.present]).toEqual([ABSENT, PRESENT]);
    expect(second.spaceCounts.get('docs')).toBe(5);
    expect(second.edgeCounts).toBeNull();
    expect((await reader.countSpaces(['docs'])).get('docs')).toBe(5);
  });
});
