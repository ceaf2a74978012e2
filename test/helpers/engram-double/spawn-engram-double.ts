/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): start `main.ts` as a child process (node with
 * the tsx loader) and wait for its ready line. The handle steers it through `/__double/*`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngramDoubleStats, EngramFaults } from './types.js';

/** Options of {@link spawnEngramDouble}. */
export interface SpawnEngramDoubleOptions {
  port?: number;
  authKeys?: string[];
  capacity?: number;
  dedupThreshold?: number;
  exactScanBelow?: number;
  faults?: EngramFaults;
  /** How long to wait for the ready line (default 30 s). */
  readyTimeoutMs?: number;
}

/** A double running in a child process. */
export interface SpawnedEngramDouble {
  url: string;
  port: number;
  pid: number;
  setFaults(faults: EngramFaults | null): Promise<EngramFaults>;
  /** Counters, plus CPU time and RSS of the child process. */
  stats(): Promise<EngramDoubleStats & { process: { cpuMs: number; rssBytes: number } }>;
  /** Fill `space` with `count` random memories inside the child (fast, no HTTP per memory). */
  seed(space: string, count: number, seed?: number): Promise<{ stored: number; memories: number }>;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<void>;
}

// Compiled copies (dist/test/helpers/...) are used by benchmarks: the child always runs the TypeScript source.
const COMPILED = import.meta.url.includes('/dist/test/');
const ROOT = fileURLToPath(new URL(COMPILED ? '../../../../' : '../../../', import.meta.url));
const MAIN = `${ROOT}test/helpers/engram-double/main.ts`;
const READY = /ENGRAM DOUBLE READY (http:\/\/\S+)/;

function flags(opts: SpawnEngramDoubleOptions): string[] {
  const args = ['--port', String(opts.port ?? 0), '--exit-on-stdin-close'];
  for (const key of opts.authKeys ?? []) args.push('--auth-key', key);
  if (opts.capacity !== undefined) args.push('--capacity', String(opts.capacity));
  if (opts.dedupThreshold !== undefined) args.push('--dedup-threshold', String(opts.dedupThreshold));
  if (opts.exactScanBelow !== undefined) args.push('--exact-scan-below', String(opts.exactScanBelow));
  if (opts.faults !== undefined) args.push('--faults', JSON.stringify(opts.faults));
  return args;
}

async function control<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${url}/__double/${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`engram double control ${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Start the double as its own process and resolve once it listens. */
export function spawnEngramDouble(opts: SpawnEngramDoubleOptions = {}): Promise<SpawnedEngramDouble> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...flags(opts)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`engram double not ready after ${opts.readyTimeoutMs ?? 30_000} ms: ${err}`));
    }, opts.readyTimeoutMs ?? 30_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engram double exited with ${code} before ready: ${err}`));
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = READY.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      const url = match[1]!;
      resolve({
        url,
        port: Number(new URL(url).port),
        pid: child.pid ?? -1,
        setFaults: (faults) => control<EngramFaults>(url, 'POST', 'faults', faults ?? {}),
        stats: () => control(url, 'GET', 'stats'),
        seed: (space, count, seed) => control(url, 'POST', 'seed', { space, count, seed }),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
