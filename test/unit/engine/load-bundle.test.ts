import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import * as durable from '../../../src/shared/durable-file.js';
import { loadBundle } from '../../../src/engine/load-bundle.js';
import { bundleLine, writeBundle } from '../../helpers/bundle-fixture.js';
import { rememberEcho, startTinyServer, type TinyServer } from '../../helpers/tiny-http.js';

vi.mock('../../../src/shared/durable-file.js', { spy: true });

let server: TinyServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function config(url: string, runDir: string) {
  return resolveConfig({ target: { kind: 'engram', url, maxRetries: 0 }, engine: { pauseMs: 0, batchSize: 2 }, runDir });
}

describe('loadBundle checkpoint', () => {
  it('saves its checkpoint durably (fsync of the file and the directory)', async () => {
    server = await startTinyServer(rememberEcho);
    const bundle = await writeBundle({ docs: ['a', 'b', 'c'].map((id) => bundleLine(id, 'docs')) });
    const runDir = mkdtempSync(join(tmpdir(), 'em-load-'));
    const summary = await loadBundle({ bundleDir: bundle, config: config(server.url, runDir) });
    expect(summary.status).toBe('completed');
    expect(summary.loaded).toBe(3);
    const saved = vi.mocked(durable.writeFileDurably).mock.calls.map(([path]) => path);
    expect(saved).toContain(join(runDir, 'load-checkpoint.json'));
  });

  it('turns a checkpoint that is not JSON into CHECKPOINT_INVALID', async () => {
    server = await startTinyServer(rememberEcho);
    const bundle = await writeBundle({ docs: [bundleLine('a', 'docs')] });
    const runDir = mkdtempSync(join(tmpdir(), 'em-load-'));
    writeFileSync(join(runDir, 'load-checkpoint.json'), '{"offsets": {');
    await expect(loadBundle({ bundleDir: bundle, config: config(server.url, runDir), resume: true })).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses to resume with a checkpoint another bundle wrote', async () => {
    server = await startTinyServer(rememberEcho);
    const first = await writeBundle({ docs: ['a', 'b', 'c'].map((id) => bundleLine(id, 'docs')) });
    const other = await writeBundle({ docs: ['x', 'y', 'z', 'w'].map((id) => bundleLine(id, 'docs')) });
    const runDir = mkdtempSync(join(tmpdir(), 'em-load-'));
    await loadBundle({ bundleDir: first, config: config(server.url, runDir) });
    const sent = server.requests.length;
    await expect(loadBundle({ bundleDir: other, config: config(server.url, runDir), resume: true })).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
    expect(server.requests.length).toBe(sent);
    expect(JSON.parse(readFileSync(join(runDir, 'load-checkpoint.json'), 'utf8')).loaded).toBe(3);
  });
});
