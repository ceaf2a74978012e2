import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundleTarget, digestFile } from '../../../src/target/bundle-target.js';
import type { EncodedMemoryBatch, WriteGate } from '../../../src/target/target.js';

const direct: WriteGate = { schedule: (_w, job) => job(), concurrency: 0 };

function batch(space: string, ids: string[]): EncodedMemoryBatch {
  const lines = ids.map((id) => JSON.stringify({ id, memory_space_id: space }) + '\n');
  const offsets = new Uint32Array(ids.length + 1);
  lines.forEach((l, i) => (offsets[i + 1] = offsets[i]! + Buffer.byteLength(l)));
  return { ids, spaces: ids.map(() => space), bytes: new Uint8Array(Buffer.from(lines.join(''))), offsets };
}

describe('BundleTarget', () => {
  it('writes memories per space and a manifest with counts and checksums', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-bundle-'));
    const t = new BundleTarget(dir);
    await t.open(null);
    await t.writeMemories(batch('people', ['a', 'b']), direct);
    await t.writeMemories(batch('docs', ['c']), direct);
    await t.writeEdges(new Uint8Array(Buffer.from('{"source":"a"}\n')));
    await t.finish({});
    await t.close();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.spaces.people.count).toBe(2);
    expect(manifest.spaces.docs.count).toBe(1);
    expect(manifest.edges.count).toBe(1);
    expect(manifest.spaces.people.sha256).toBe((await digestFile(join(dir, 'memories/people.ndjson'))).sha256);
  });

  it('resumes from a checkpointed state, dropping lines written after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-bundle-'));
    const first = new BundleTarget(dir);
    await first.open(null);
    await first.writeMemories(batch('people', ['a', 'b']), direct);
    const state = await first.state();
    await first.writeMemories(batch('people', ['c']), direct); // "crash" before the checkpoint
    await first.writeMemories(batch('late', ['z']), direct);
    await first.close();
    const second = new BundleTarget(dir);
    await second.open(state);
    await second.writeMemories(batch('people', ['c', 'd']), direct);
    await second.finish({});
    await second.close();
    const ids = readFileSync(join(dir, 'memories/people.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    expect(ids).toEqual(['a', 'b', 'c', 'd']);
    expect(readFileSync(join(dir, 'memories/late.ndjson'), 'utf8')).toBe('');
  });

  it('refuses to start a fresh run over an existing bundle unless told to overwrite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-bundle-'));
    const t = new BundleTarget(dir);
    await t.open(null);
    await t.writeMemories(batch('people', ['a']), direct);
    await t.close();
    await expect(new BundleTarget(dir).open(null)).rejects.toMatchObject({ code: 'BUNDLE_NOT_EMPTY' });
    const again = new BundleTarget(dir, { overwrite: true });
    await again.open(null);
    await again.writeMemories(batch('people', ['x']), direct);
    await again.close();
    expect(readFileSync(join(dir, 'memories/people.ndjson'), 'utf8')).toBe('{"id":"x","memory_space_id":"people"}\n');
  });

  it('appends to a bundle: earlier files kept, the manifest covers every space and lists each run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-bundle-'));
    const first = new BundleTarget(dir);
    await first.open(null);
    await first.writeMemories(batch('people', ['a']), direct);
    await first.finish({ runId: 'r1', labels: [{ label: 'Person' }] });
    await first.close();
    const second = new BundleTarget(dir, { append: true });
    await second.open(null);
    await second.writeMemories(batch('movies', ['m']), direct);
    await second.finish({ runId: 'r2', labels: [{ label: 'Movie' }] });
    await second.close();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      spaces: Record<string, { count: number }>;
      info: { runs: Array<{ runId: string }> };
    };
    expect(Object.fromEntries(Object.entries(manifest.spaces).map(([s, f]) => [s, f.count]))).toEqual({ movies: 1, people: 1 });
    expect(manifest.info.runs.map((r) => r.runId)).toEqual(['r1', 'r2']);
    expect(readFileSync(join(dir, 'memories/people.ndjson'), 'utf8')).toBe('{"id":"a","memory_space_id":"people"}\n');
  });
});
