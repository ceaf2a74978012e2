/**
 * Child processes of the live load test: the Engram double (the test double's own entry point, run
 * with tsx) and the load service (bench/live-load-service), from TypeScript sources under vitest or from
 * dist/ when the bench was compiled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProjectDir } from '../src/sample/neo4j-server.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const COMPILED = import.meta.url.endsWith('.js');

/** Extra node flags for the service processes, e.g. LIVE_LOAD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const EXTRA_NODE_ARGS = (process.env.LIVE_LOAD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

function nodeArgs(file: string): string[] {
  return COMPILED ? ['--max-semi-space-size=64', ...EXTRA_NODE_ARGS, file] : ['--max-semi-space-size=64', ...EXTRA_NODE_ARGS, '--import', 'tsx', file];
}

/** Resolves with the first stdout line matching `pattern`; rejects when the process exits first. */
function waitFor(child: ChildProcess, pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no ${pattern} after ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? code}) before ${pattern}: ${out.slice(-500)}`));
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

export interface DoubleProcess {
  url: string;
  /** POST /__double/faults; a `refuse` outage cuts this very request, which is fine. */
  setFaults(faults: unknown): Promise<void>;
  stats(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts the Engram double as its own process. */
export async function spawnDoubleProcess(): Promise<DoubleProcess> {
  const main = join(findProjectDir(HERE), 'test', 'helpers', 'engram-double', 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', '0', '--exit-on-stdin-close'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = (await waitFor(child, /ENGRAM DOUBLE READY (http:\/\/\S+)/, 'engram double', 30_000))[1]!;
  child.stdout!.resume();
  return {
    url,
    async setFaults(faults) {
      await fetch(`${url}/__double/faults`, { method: 'POST', body: JSON.stringify(faults) })
        .then((r) => r.text())
        .catch(() => undefined);
    },
    async stats() {
      return (await (await fetch(`${url}/__double/stats`)).json()) as Record<string, unknown>;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is no /proc. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

export interface ServiceProcess {
  pid: number;
  /** CPU seconds used so far (sampled every second; the last sample survives a kill -9). */
  cpuSeconds(): number;
  /** Resolves with the queue stats the service recovered at start. */
  ready: Promise<Record<string, number>>;
  /** Resolves with the service's final summary. */
  done: Promise<Record<string, unknown>>;
  kill9(): Promise<void>;
}

/** Starts the load service with `args` (flags of live-load-service). */
export function spawnService(args: string[]): ServiceProcess {
  const file = join(HERE, COMPILED ? 'live-load-service.js' : 'live-load-service.ts');
  if (!existsSync(file)) throw new Error(`no ${file}`);
  const child = spawn(process.execPath, [...nodeArgs(file), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = waitFor(child, /READY (\{.*\})\n/, 'load service', 60_000).then((m) => JSON.parse(m[1]!) as Record<string, number>);
  const done = ready.then(() => waitFor(child, /DONE (\{.*\})\n/, 'load service', 600_000)).then((m) => JSON.parse(m[1]!) as Record<string, unknown>);
  done.catch(() => undefined);
  let cpu = 0;
  const sampler = setInterval(() => (cpu = cpuSecondsOf(child.pid!) ?? cpu), 1000);
  child.once('exit', () => clearInterval(sampler));
  return {
    pid: child.pid!,
    cpuSeconds: () => cpu,
    ready,
    done,
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
