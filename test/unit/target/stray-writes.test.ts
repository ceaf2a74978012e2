/**
 * Which failed writes may still land on the server (`mayStillLand`), judged on the errors the Engram
 * client really raises: a refused connection and an answered error cannot; a request the server read
 * and did not answer before the client gave up, or whose connection broke after it was sent, can.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mayStillLand } from '../../../src/errors.js';
import { EngramClient } from '../../../src/target/engram-client.js';

let server: Server | null = null;
let client: EngramClient | null = null;

afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = null;
  client = null;
});

/** A server that reads each request whole, then does `answer` with it. */
async function serve(answer: (res: import('node:http').ServerResponse, req: import('node:http').IncomingMessage) => void): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res, req));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(url: string, signal?: AbortSignal): Promise<unknown> {
  client = new EngramClient({ url, maxRetries: 0, timeoutMs: 5_000 });
  return client.remember('s', '{"id":"m1","content":"x","embedding":[]}', signal).then(
    () => expect.unreachable('the write failed'),
    (err: unknown) => err,
  );
}

describe('mayStillLand', () => {
  it('no: the connection was refused', async () => {
    const url = await serve(() => undefined);
    await new Promise((r) => server!.close(r)); // nobody listens on the port now
    server = null;
    const err = await failure(url);
    expect(err).toMatchObject({ code: 'TARGET_UNAVAILABLE' });
    expect(mayStillLand(err)).toBe(false);
  });

  it('no: the server answered an error', async () => {
    const url = await serve((res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"BUSY","message":"busy"}}'));
    const err = await failure(url);
    expect(err).toMatchObject({ status: 503 });
    expect(mayStillLand(err)).toBe(false);
  });

  it('yes: the server read the request and the client gave up before an answer', async () => {
    const url = await serve(() => undefined); // never answers
    const err = await failure(url, AbortSignal.timeout(200));
    expect(mayStillLand(err)).toBe(true);
  });

  it('yes: the connection broke after the request was sent', async () => {
    const url = await serve((_res, req) => req.socket.destroy());
    const err = await failure(url);
    expect(err).toMatchObject({ code: 'TARGET_UNAVAILABLE' });
    expect(mayStillLand(err)).toBe(true);
  });
});
