import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { loadBundle } from '../../../src/engine/load-bundle.js';
import { redactSecrets } from '../../../src/shared/redact.js';
import { EngramTarget } from '../../../src/target/engram-target.js';
import { bundleLine, writeBundle } from '../../helpers/bundle-fixture.js';
import { startTinyServer } from '../../helpers/tiny-http.js';

async function closedPortUrl(): Promise<string> {
  const server = await startTinyServer(() => ({ status: 500 }));
  await server.stop();
  return server.url.replace('http://', 'http://admin:hunter2@');
}

describe('redactSecrets', () => {
  it.each([
    ['cannot reach http://admin:hunter2@engram:7432/x', 'cannot reach http://admin:***@engram:7432/x'],
    ['bolt://neo4j:s3cr%40t@db:7687 and neo4j+s://u:p@h', 'bolt://neo4j:***@db:7687 and neo4j+s://u:***@h'],
    ['https://tokenonly@host/', 'https://***@host/'],
    ['http://engram:7432/api/v1/memories?x=a@b', 'http://engram:7432/api/v1/memories?x=a@b'],
    ['mail me at a@b.c', 'mail me at a@b.c'],
  ])('%s', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });
});

describe('credentials in URLs stay out of errors and summaries', () => {
  it('Engram target: location and connection errors', async () => {
    const url = await closedPortUrl();
    const target = new EngramTarget({ url, capacityPerSpace: 10, maxRetries: 0 });
    try {
      expect(target.location).not.toContain('hunter2');
      const err = (await target.open().catch((e: unknown) => e)) as Error;
      expect(err).toMatchObject({ code: 'TARGET_UNAVAILABLE' });
      expect(err.message).not.toContain('hunter2');
    } finally {
      await target.close();
    }
  });

  it('load summary', async () => {
    const url = await closedPortUrl();
    const bundle = await writeBundle({ docs: [bundleLine('a', 'docs')] });
    const config = resolveConfig({ target: { kind: 'engram', url, maxRetries: 0 }, runDir: mkdtempSync(join(tmpdir(), 'em-redact-')) });
    const summary = await loadBundle({ bundleDir: bundle, config });
    expect(summary.status).toBe('failed');
    expect(JSON.stringify(summary)).not.toContain('hunter2');
  });
});
