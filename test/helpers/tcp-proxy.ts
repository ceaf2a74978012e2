/**
 * A TCP proxy in front of a server, for outages that look real to a client: `down()` stops accepting and
 * cuts every open connection (the client sees resets, then refused connections); `up()` listens again on
 * the same port.
 */
import net from 'node:net';

export class TcpProxy {
  readonly #host: string;
  readonly #port: number;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | null = null;
  port = 0;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  async up(): Promise<void> {
    if (this.#server !== null) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#port, this.#host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.#sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
