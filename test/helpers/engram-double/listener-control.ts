/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): owns the listening socket and the open
 * connections, so a `refuse` outage can stop accepting (clients get ECONNREFUSED), drop every open
 * keep-alive connection, and listen again on the same port when the window ends.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Listening state of one double's server. */
export class ListenerControl {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #host = '127.0.0.1';
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /**
   * Listen on `port` and resolve the real port. 0 picks a free port; a busy port silently moves to
   * the next free one, as `engram start --port` does (so callers must read the real port).
   */
  async listen(port: number, host: string): Promise<number> {
    this.#host = host;
    for (let candidate = port; ; candidate++) {
      try {
        this.#port = await this.#tryListen(candidate, host);
        return this.#port;
      } catch (err) {
        const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!busy || port === 0 || candidate >= Math.min(65_535, port + 100)) throw err;
      }
    }
  }

  #tryListen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Refuse connections for `ms`, dropping the open ones now. */
  refuseFor(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#server.listening) this.#server.close();
    for (const socket of this.#sockets) socket.destroy();
    this.#timer = setTimeout(() => this.resume(), ms);
  }

  /** End a refusal now (no-op while listening). */
  resume(): void {
    clearTimeout(this.#timer);
    if (this.#stopped || this.#server.listening) return;
    const retry = (): void => {
      this.#timer = setTimeout(() => this.resume(), 50);
    };
    this.#server.once('error', retry);
    this.#server.listen(this.#port, this.#host, () => this.#server.off('error', retry));
  }

  /** Close for good: stop accepting and destroy every connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const closed = this.#server.listening ? new Promise<void>((resolve) => this.#server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
