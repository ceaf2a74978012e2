import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { boltTlsConfig } from '../../../src/config/tls-options.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { createEngramTarget } from '../../../src/target/create-target.js';
import type { EngramTarget } from '../../../src/target/engram-target.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/tls/${name}`, import.meta.url));
let server: Server | null = null;
let target: EngramTarget | null = null;

afterEach(async () => {
  await target?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
  target = null;
});

/** An https Engram stand-in that demands a client certificate signed by the test CA (mutual TLS). */
async function mutualTlsEngram(): Promise<string> {
  server = createServer(
    {
      key: readFileSync(fixture('server.key')),
      cert: readFileSync(fixture('server.pem')),
      ca: readFileSync(fixture('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ memory_id: (JSON.parse(body) as { id: string }).id }));
      });
    },
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Engram over https with a private CA and a client certificate', () => {
  it('connects and writes with target.ca, target.cert and target.key', async () => {
    const url = await mutualTlsEngram();
    target = createEngramTarget(
      resolveConfig({ target: { kind: 'engram', url, ca: fixture('ca.pem'), cert: fixture('client.pem'), key: fixture('client.key'), maxRetries: 0 } }),
    );
    await target.open();
    const body = Buffer.from('{"id":"a","content":"x"}');
    const result = await target.writeMemories(
      { ids: ['a'], spaces: ['docs'], bytes: new Uint8Array(body), offsets: Uint32Array.of(0, body.length) },
      { schedule: (_w, job) => job(), concurrency: 1 },
    );
    expect(result).toEqual({ written: 1, rejects: [] });
  });

  it('without the CA the server certificate is not trusted', async () => {
    const url = await mutualTlsEngram();
    target = createEngramTarget(resolveConfig({ target: { kind: 'engram', url, maxRetries: 0 } }));
    await expect(target.open()).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE' });
  });
});

describe('TLS options are validated', () => {
  it.each([
    ['target.ca', { target: { url: 'http://engram:7432', ca: fixture('ca.pem') } }, /only applies to an https/],
    ['target.key', { target: { url: 'https://engram:7432', cert: fixture('client.pem') } }, /go together/],
    ['target.ca', { target: { url: 'https://engram:7432', ca: '/nonexistent/ca.pem' } }, /cannot read \/nonexistent\/ca.pem/],
    ['source.trustedCertificates', { source: { uri: 'neo4j+s://db:7687', trustedCertificates: [fixture('ca.pem')] } }, /\+s or \+ssc/],
    ['source.trustedCertificates.0', { source: { trustedCertificates: ['/nonexistent/ca.pem'] } }, /cannot read/],
  ])('%s', (path, options, message) => {
    expect(() => resolveConfig(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', path, message: expect.stringMatching(message) }));
  });

  it('Bolt: trusted certificates turn on encryption with a custom CA', () => {
    const source = resolveConfig({ source: { trustedCertificates: [fixture('ca.pem')] } }).source;
    expect(boltTlsConfig(source)).toEqual({
      encrypted: 'ENCRYPTION_ON',
      trust: 'TRUST_CUSTOM_CA_SIGNED_CERTIFICATES',
      trustedCertificates: [fixture('ca.pem')],
    });
    expect(boltTlsConfig(resolveConfig({ source: { encrypted: true } }).source)).toEqual({ encrypted: 'ENCRYPTION_ON' });
    expect(boltTlsConfig(resolveConfig({}).source)).toEqual({});
  });
});

describe('Bolt TLS options reach the Neo4j driver', () => {
  it('the source hands them to neo4j.driver (its resolved config keeps them)', async () => {
    const { Neo4jSource } = await import('../../../src/source/neo4j-source.js');
    const source = resolveConfig({ source: { trustedCertificates: [fixture('ca.pem')] } }).source;
    const neo = new Neo4jSource(source, { embeddingProperty: 'embedding' });
    try {
      // neo4j-driver keeps its sanitised config on the driver; nothing connects here.
      const config = (neo.driver as unknown as { _config: Record<string, unknown> })._config;
      expect([config.encrypted, config.trust, config.trustedCertificates]).toEqual([
        'ENCRYPTION_ON',
        'TRUST_CUSTOM_CA_SIGNED_CERTIFICATES',
        [fixture('ca.pem')],
      ]);
    } finally {
      await neo.close();
    }
  });
});
