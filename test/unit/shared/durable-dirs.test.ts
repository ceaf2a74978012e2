import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as durable from '../../../src/shared/durable-file.js';
import { NdjsonAppender } from '../../../src/shared/ndjson-appender.js';
import { BundleTarget } from '../../../src/target/bundle-target.js';

vi.mock('../../../src/shared/durable-file.js', { spy: true });

const synced = (): string[] => vi.mocked(durable.syncDirectory).mock.calls.map(([dir]) => dir);

beforeEach(() => {
  vi.mocked(durable.syncDirectory).mockClear();
});

describe('directory fsync of new files', () => {
  it('NdjsonAppender fsyncs the directory when it creates the file, not when it reopens one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-dirsync-'));
    const first = await NdjsonAppender.open(join(dir, 'rejects.ndjson'));
    await first.append('{"a":1}\n');
    await first.close();
    expect(synced()).toEqual([dir]);
    const again = await NdjsonAppender.open(join(dir, 'rejects.ndjson'), 8);
    await again.close();
    expect(synced()).toEqual([dir]);
  });

  it("the bundle fsyncs its directory after the manifest's rename", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-dirsync-'));
    const target = new BundleTarget(dir);
    await target.open(null);
    const line = Buffer.from('{"id":"a"}\n');
    await target.writeMemories(
      { ids: ['a'], spaces: ['docs'], bytes: new Uint8Array(line), offsets: Uint32Array.of(0, line.length) },
      { schedule: (_w, job) => job(), concurrency: 0 },
    );
    vi.mocked(durable.syncDirectory).mockClear();
    await target.finish({});
    await target.close();
    expect(synced()).toContain(dir);
  });
});
