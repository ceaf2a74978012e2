import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import neo4j, { type AuthToken, type Config, type Driver } from 'neo4j-driver';

const ports = new Set<number>();
let subscribed = false;

/**
 * neo4j-driver 5 leaves Nagle's algorithm on for its sockets and writes a message in 1,400-byte chunks,
 * so any request bigger than one chunk (a 768-float embedding parameter is about 7 KB) waits for the
 * server's delayed ACK: about 40 ms per request on Linux, whatever the query (measured here: a bare
 * `RETURN size($q)` with a 768-float list took 44 ms, 1.5 ms with TCP_NODELAY). This turns TCP_NODELAY
 * on for every new client socket to the URI's port (default 7687), through Node's `net.client.socket`
 * diagnostics channel. Call it before the driver opens connections.
 */
export function enableBoltNoDelay(uri: string): void {
  const parsed = new URL(uri);
  ports.add(parsed.port === '' ? 7687 : Number(parsed.port));
  if (subscribed) return;
  subscribed = true;
  subscribe('net.client.socket', (message) => {
    const socket = (message as { socket?: Socket }).socket;
    socket?.once('connect', () => {
      if (socket.remotePort !== undefined && ports.has(socket.remotePort)) socket.setNoDelay(true);
    });
  });
}

/** A driver for the live adapters: {@link enableBoltNoDelay} first, then `neo4j.driver(uri, auth, config)`. */
export function createLiveNeo4jDriver(uri: string, auth?: AuthToken, config: Config = {}): Driver {
  enableBoltNoDelay(uri);
  return neo4j.driver(uri, auth, config);
}
