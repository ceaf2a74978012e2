/**
 * The REAL Engram server for integration tests and benchmarks (not the double; no vitest here, so
 * benchmarks can import it; real-engram.ts adds the suites' `describeRealEngram`): find its binary,
 * start one server on free ports with its own data directory, wait until `GET /health` answers (any
 * status: the server may call itself unhealthy for a while on a busy machine while the API already
 * works), stop it in teardown.
 *
 * Binary: `$ENGRAM_BIN`, else `../shared/engram/bin/engram` beside the project (CI's fresh clone),
 * else `/work/shared/engram/bin/engram`. Without one, {@link realEngramBinary} is null and suites skip
 * their real-server tests with one line saying so.
 *
 * Cost (measured on the 2-core test machine): start to first `/health` 5-40 s, each memory space
 * about 3 GB of mapped page cache and ~4-15 s at its first write (`default` exists from the start,
 * so tests write there first); about 250 writes/s into an empty space. One server per test file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function candidates(): string[] {
  const fromEnv = process.env.ENGRAM_BIN;
  return [...(fromEnv ? [fromEnv] : []), resolve(PROJECT_ROOT, '../shared/engram/bin/engram'), '/work/shared/engram/bin/engram'];
}

/** Path of the real Engram binary, or null when none is installed. */
export const realEngramBinary: string | null = candidates().find((p) => existsSync(p)) ?? null;

/** A running real server. */
export interface RealEngram {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Its output so far (stdout and stderr), for failure messages. */
  log(): string;
  /** SIGTERM, SIGKILL after 15 s, then the data directory is removed. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Two distinct free ports: HTTP and gRPC. */
async function freePorts(): Promise<[number, number]> {
  const http = await freePort();
  let grpc = await freePort();
  while (grpc === http || grpc === http + 1) grpc = await freePort();
  return [http, grpc];
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/**
 * Starts the real server. The server silently moves to the next port when its port is busy, so the
 * ports are chosen free here and readiness is checked on exactly that port; a lost race is retried
 * on new ports. Resolves once `/health` answers; rejects after `readyTimeoutMs` (default 120 s).
 */
export async function startRealEngram(options: { readyTimeoutMs?: number; attempts?: number } = {}): Promise<RealEngram> {
  if (realEngramBinary === null) throw new Error('no real Engram binary');
  let last: unknown = null;
  for (let attempt = 0; attempt < (options.attempts ?? 3); attempt++) {
    try {
      return await startOnce(realEngramBinary, options.readyTimeoutMs ?? 120_000);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

async function startOnce(binary: string, readyTimeoutMs: number): Promise<RealEngram> {
  const [port, grpcPort] = await freePorts();
  const dataDir = await mkdtemp(join(tmpdir(), 'engram-real-'));
  const child = spawn(binary, ['-l', 'warn', 'start', '--port', String(port), '--grpc-port', String(grpcPort)], {
    env: { ...process.env, ENGRAM_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const done = exited(child);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await answers(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`real Engram exited (${child.exitCode ?? child.signalCode}) before answering on ${url}: ${output.slice(-2_000)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`real Engram did not answer on ${url} within ${readyTimeoutMs} ms: ${output.slice(-2_000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, pid: child.pid ?? -1, dataDir, log: () => output, stop };
}
