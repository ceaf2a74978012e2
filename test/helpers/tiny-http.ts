import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TinyRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What a handler answers; `hang` keeps the request open until the server stops. */
export type TinyAnswer = { status: number; body?: unknown; headers?: Record<string, string> } | { hang: true };

export interface TinyServer {
  url: string;
  requests: TinyRequest[];
  stop(): Promise<void>;
}

/**
 * A local HTTP server on a free port for client tests: every request is recorded and answered by
 * `handler` (JSON bodies). `/health` answers healthy unless the handler says otherwise.
 */
export async function startTinyServer(handler: (req: TinyRequest, index: number) => TinyAnswer | Promise<TinyAnswer>): Promise<TinyServer> {
  const requests: TinyRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: TinyRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      if (request.url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
        return;
      }
      const index = requests.push(request) - 1;
      void Promise.resolve(handler(request, index)).then((answer) => {
        if ('hang' in answer) return void hanging.push(res);
        const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) }).end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Engram's answer to a remember: 201 with the id the request carried. */
export function rememberEcho(req: TinyRequest): TinyAnswer {
  const id = (JSON.parse(req.body) as { id: string }).id;
  return { status: 201, body: { memory_id: id } };
}
