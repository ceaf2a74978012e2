import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { loadBundle } from '../../../src/engine/load-bundle.js';
import { isAbortFrom } from '../../../src/shared/abort.js';
import { bundleLine, writeBundle } from '../../helpers/bundle-fixture.js';
import { rememberEcho, startTinyServer, type TinyServer } from '../../helpers/tiny-http.js';

let server: TinyServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('interrupting a load during an Engram batch', () => {
  it('ends "aborted" with no error, the checkpoint at the last acknowledged batch, and resumes from it', async () => {
    const controller = new AbortController();
    // The first batch (2 memories) is answered; the second batch's first request hangs until Ctrl-C.
    server = await startTinyServer((req, i) => {
      if (i < 2) return rememberEcho(req);
      controller.abort(new Error('interrupted'));
      return { hang: true };
    });
    const bundle = await writeBundle({ docs: ['a', 'b', 'c', 'd'].map((id) => bundleLine(id, 'docs')) });
    const runDir = mkdtempSync(join(tmpdir(), 'em-load-abort-'));
    const config = resolveConfig({ target: { kind: 'engram', url: server.url, maxRetries: 0, concurrency: 1 }, engine: { pauseMs: 0, batchSize: 2 }, runDir });
    const summary = await loadBundle({ bundleDir: bundle, config, signal: controller.signal });
    expect(summary.error).toBeNull();
    expect(summary.status).toBe('aborted');
    expect(JSON.parse(readFileSync(join(runDir, 'load-checkpoint.json'), 'utf8')).loaded).toBe(2);
    await server.stop();
    server = await startTinyServer(rememberEcho);
    const resumed = await loadBundle({ bundleDir: bundle, config: resolveConfig({ ...config, target: { ...config.target, url: server.url } }), resume: true });
    expect(resumed.status).toBe('completed');
    expect(server.requests.map((r) => JSON.parse(r.body).id)).toEqual(['c', 'd']);
  });
});

describe('isAbortFrom', () => {
  it('recognises the reason itself, AbortErrors and errors caused by them, only once the signal is aborted', () => {
    const c = new AbortController();
    const reason = new Error('interrupted');
    expect(isAbortFrom(reason, c.signal)).toBe(false);
    c.abort(reason);
    expect(isAbortFrom(reason, c.signal)).toBe(true);
    expect(isAbortFrom(Object.assign(new Error('The task has been aborted'), { name: 'AbortError', cause: reason }), c.signal)).toBe(true);
    expect(isAbortFrom(new Error('wrapped', { cause: reason }), c.signal)).toBe(true);
    expect(isAbortFrom(new Error('Engram answered 500'), c.signal)).toBe(false);
  });
});
