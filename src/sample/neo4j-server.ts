import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import neo4j from 'neo4j-driver';
import { ConfigError, SourceError } from '../errors.js';
import { installNeo4j, type InstallNeo4jOptions } from './install-neo4j.js';

export { findProjectDir, installNeo4j, neo4jLayout } from './install-neo4j.js';
export type { InstallNeo4jOptions, Neo4jInstall, Neo4jLayout } from './install-neo4j.js';

/** JVM flags from the stock Neo4j 5 `neo4j.conf` that avoid warnings and slow paths. */
export const NEO4J_JVM_FLAGS: readonly string[] = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-XX:+UseG1GC',
  '-XX:-OmitStackTraceInFastThrow',
  '-XX:+UnlockExperimentalVMOptions',
  '-XX:+TrustFinalNonStaticFields',
  '-XX:+DisableExplicitGC',
  '-Djdk.nio.maxCachedBufferSize=1024',
];

const LAUNCHER_CLASS = 'dev.engrammigrate.neo4j.Launcher';
const PID_FILE = 'neo4j.pid';

export interface StartNeo4jOptions {
  /** Bolt port on 127.0.0.1 (default 7687). */
  port?: number;
  /** Neo4j home: store, logs, the pid file and the launcher log (default `.runs/neo4j`). */
  dataDir?: string;
  /** Credentials to require, or false for no auth (default false). Passwords need >= 8 characters. */
  auth?: { user: string; password: string } | false;
  /** JVM heap, e.g. `2g` (default `2g`). */
  heap?: string;
  /** Page cache, e.g. `1g` (default `1g`). */
  pageCache?: string;
  /** Launcher stdout/stderr (default `<dataDir>/launcher.log`). */
  logFile?: string;
  /** Keep running after this process exits (default false: the server dies with this process). */
  detached?: boolean;
  /** Longest wait for readiness (default 120 s). */
  timeoutMs?: number;
  /** Java 17 executable (default env `NEO4J_JAVA` or `java`). */
  java?: string;
  /** Passed to {@link installNeo4j}, which runs first (fast when already installed). */
  install?: InstallNeo4jOptions;
}

/** What a pid file holds. */
export interface Neo4jPidInfo {
  pid: number;
  port: number;
  uri: string;
  dataDir: string;
  logFile: string;
  startedAt: string;
}

export interface Neo4jHandle extends Neo4jPidInfo {
  pidFile: string;
  /** Seconds from spawn to a verified Bolt connection. */
  startSeconds: number;
  stop(): Promise<void>;
}

const SIZE = /^\d+[kmg]?$/i;

function checkOptions(o: StartNeo4jOptions): { port: number; heap: string; pageCache: string } {
  const port = o.port ?? 7687;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new ConfigError('neo4j.port', `must be a TCP port, got ${port}`);
  const heap = o.heap ?? '2g';
  const pageCache = o.pageCache ?? '1g';
  if (!SIZE.test(heap)) throw new ConfigError('neo4j.heap', `must look like 512m or 2g, got ${heap}`);
  if (!SIZE.test(pageCache)) throw new ConfigError('neo4j.pageCache', `must look like 512m or 2g, got ${pageCache}`);
  if (o.auth && o.auth.password.length < 8) throw new ConfigError('neo4j.auth.password', 'needs at least 8 characters');
  return { port, heap, pageCache };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isPortInUse(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True when `pid` is alive and (on Linux) really our launcher, so a recycled pid is never signalled. */
export function isLauncherAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false; // exited, not yet reaped
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(LAUNCHER_CLASS);
  } catch {
    return process.platform !== 'linux';
  }
}

/** Reads a pid file; null when it is missing or unreadable. */
export async function readPidFile(pidFile: string): Promise<Neo4jPidInfo | null> {
  try {
    return JSON.parse(await readFile(pidFile, 'utf8')) as Neo4jPidInfo;
  } catch {
    return null;
  }
}

function spawnLauncher(o: StartNeo4jOptions, dataDir: string, logFile: string, c: ReturnType<typeof checkOptions>, classpath: string): ChildProcess {
  const args = [`-Xms${c.heap}`, `-Xmx${c.heap}`, ...NEO4J_JVM_FLAGS, '-cp', classpath, LAUNCHER_CLASS];
  args.push('--home', dataDir, '--port', String(c.port), '--page-cache', c.pageCache);
  const env = { ...process.env };
  if (o.auth) {
    args.push('--auth', '--user', o.auth.user);
    env.NEO4J_LAUNCHER_PASSWORD = o.auth.password;
  } else {
    args.push('--no-auth');
  }
  const fd = openSync(logFile, 'w');
  try {
    const java = o.java ?? process.env.NEO4J_JAVA ?? 'java';
    // cwd = data dir, so JVM crash files (hs_err_pid*.log) never land in the working tree.
    return spawn(java, args, { cwd: dataDir, stdio: ['ignore', fd, fd], detached: o.detached === true, env });
  } finally {
    closeSync(fd);
  }
}

/** Polls until the launcher printed its ready line and Bolt accepts the credentials; never sleeps blindly. */
async function waitReady(child: ChildProcess, uri: string, o: StartNeo4jOptions, logFile: string): Promise<void> {
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
  child.once('error', (err) => (exited = err.message));
  const auth = o.auth ? neo4j.auth.basic(o.auth.user, o.auth.password) : undefined;
  const driver = neo4j.driver(uri, auth, { connectionTimeout: 2_000, maxConnectionPoolSize: 1 });
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  let lastError = 'launcher not ready yet';
  try {
    for (;;) {
      if (exited !== null) throw new SourceError('SOURCE_UNAVAILABLE', `Neo4j exited during start (${exited}); log tail:\n${logTail(logFile)}`);
      const log = logTail(logFile, 200);
      if (log.includes('NEO4J FAILED')) throw new SourceError('SOURCE_UNAVAILABLE', `Neo4j failed to start; log tail:\n${logTail(logFile)}`);
      // Before the ready line the password may not be set yet, and failed logins lock the account for 5 s.
      if (log.includes('NEO4J READY')) {
        try {
          await driver.verifyConnectivity();
          return;
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
        }
      }
      if (Date.now() > deadline) {
        throw new SourceError(
          'SOURCE_UNAVAILABLE',
          `Neo4j not ready at ${uri} after ${o.timeoutMs ?? 120_000} ms (${lastError}); log tail:\n${logTail(logFile)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await driver.close();
  }
}

/**
 * Starts a real Neo4j 5.26 (installing the launcher first if needed) and resolves once a Bolt
 * connection with the given credentials works. Writes `<dataDir>/neo4j.pid` so a later process can
 * stop it with {@link stopNeo4j}. Fails with SOURCE_UNAVAILABLE (log tail in the message) when the
 * port is taken, the server dies or it is not ready in time.
 */
export async function startNeo4j(options: StartNeo4jOptions = {}): Promise<Neo4jHandle> {
  const checked = checkOptions(options);
  const dataDir = resolve(options.dataDir ?? '.runs/neo4j');
  const pidFile = join(dataDir, PID_FILE);
  const logFile = resolve(options.logFile ?? join(dataDir, 'launcher.log'));
  const uri = `bolt://127.0.0.1:${checked.port}`;
  const install = await installNeo4j(options.install);
  const previous = await readPidFile(pidFile);
  if (previous && isLauncherAlive(previous.pid)) {
    throw new SourceError('SOURCE_UNAVAILABLE', `a Neo4j (pid ${previous.pid}, ${previous.uri}) already runs on ${dataDir}; stop it first`);
  }
  if (await isPortInUse(checked.port)) {
    throw new SourceError('SOURCE_UNAVAILABLE', `port ${checked.port} is already in use on 127.0.0.1`);
  }
  await mkdir(dataDir, { recursive: true });
  const t0 = performance.now();
  const child = spawnLauncher(options, dataDir, logFile, checked, install.classpath);
  if (child.pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw new SourceError('SOURCE_UNAVAILABLE', `could not spawn java for Neo4j; log tail:\n${logTail(logFile)}`);
  }
  const pid = child.pid;
  const info: Neo4jPidInfo = { pid, port: checked.port, uri, dataDir, logFile, startedAt: new Date().toISOString() };
  await writeFile(pidFile, `${JSON.stringify(info)}\n`);
  const killOnExit = (): void => void (isLauncherAlive(pid) && process.kill(pid, 'SIGKILL'));
  if (options.detached === true) child.unref();
  else process.once('exit', killOnExit);
  try {
    await waitReady(child, uri, options, logFile);
  } catch (err) {
    await stopNeo4j({ pid, pidFile }, { timeoutMs: 5_000 });
    throw err;
  }
  const startSeconds = (performance.now() - t0) / 1000;
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stopNeo4j({ pid, pidFile });
  };
  return { ...info, pidFile, startSeconds, stop };
}

export interface StopNeo4jOptions {
  /** Grace period after SIGTERM before SIGKILL (default 60 s). */
  timeoutMs?: number;
}

/**
 * Stops a launcher given its pid file (path) or handle: SIGTERM, wait for a clean shutdown, SIGKILL
 * after the grace period. Removes the pid file. Returns how it ended; `not-running` when nothing was alive.
 */
export async function stopNeo4j(
  target: string | { pid: number; pidFile?: string },
  options: StopNeo4jOptions = {},
): Promise<'stopped' | 'killed' | 'not-running'> {
  const pidFile = typeof target === 'string' ? target : target.pidFile;
  const pid = typeof target === 'string' ? (await readPidFile(target))?.pid : target.pid;
  let outcome: 'stopped' | 'killed' | 'not-running' = 'not-running';
  if (pid !== undefined && isLauncherAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    outcome = 'stopped';
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (isLauncherAlive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        outcome = 'killed';
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (pidFile !== undefined && existsSync(pidFile)) {
    const current = await readPidFile(pidFile);
    if (current === null || current.pid === pid) await rm(pidFile, { force: true });
  }
  return outcome;
}

/** Whether the launcher named by a pid file is alive (not whether Bolt answers). */
export async function neo4jStatus(pidFile: string): Promise<{ running: boolean; info: Neo4jPidInfo | null }> {
  const info = await readPidFile(pidFile);
  return { running: info !== null && isLauncherAlive(info.pid), info };
}
