import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BundleTarget } from '../../src/target/bundle-target.js';
import type { EncodedMemoryBatch, WriteGate } from '../../src/target/target.js';

const direct: WriteGate = { schedule: (_w, job) => job(), concurrency: 0 };

export function vector(seed: number): Float32Array {
  return Float32Array.from({ length: 768 }, (_, i) => Math.sin(seed * 1000 + i));
}

/** A bundle line as the backfill writes it; `override` replaces fields (even with wrong types). */
export function bundleLine(id: string, space: string, override: Record<string, unknown> = {}): string {
  const v = vector(id.length + id.charCodeAt(0));
  const line = {
    id,
    memory_space_id: space,
    content: `content of ${id}`,
    embedding_f32: Buffer.from(v.buffer).toString('base64'),
    confidence: 1,
    timestamp: '2024-01-02T03:04:05.000Z',
    memory_type: 'Doc',
    label: 'Doc',
    strength: 1,
    last_accessed: '2024-01-02T03:04:05.000Z',
    embedding_source: 'copied',
    ...override,
  };
  return JSON.stringify(line) + '\n';
}

/** Writes a finished bundle (with manifest) holding `lines` per space; returns its directory. */
export async function writeBundle(spaces: Record<string, string[]>, dir = mkdtempSync(join(tmpdir(), 'em-fixture-bundle-'))): Promise<string> {
  const target = new BundleTarget(dir, { overwrite: true });
  await target.open(null);
  for (const [space, lines] of Object.entries(spaces)) {
    const offsets = new Uint32Array(lines.length + 1);
    lines.forEach((l, i) => (offsets[i + 1] = offsets[i]! + Buffer.byteLength(l)));
    const batch: EncodedMemoryBatch = {
      ids: lines.map((_, i) => `${space}-${i}`),
      spaces: lines.map(() => space),
      bytes: new Uint8Array(Buffer.from(lines.join(''))),
      offsets,
    };
    await target.writeMemories(batch, direct);
  }
  await target.finish({ fixture: true });
  await target.close();
  return dir;
}
