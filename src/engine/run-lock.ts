import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { MigrateError, RunLockedError } from '../errors.js';
import { syncDirectory } from '../shared/durable-file.js';

export const RUN_LOCK_FILE = 'engram-migrate.lock';

/** Who holds a lock: enough to tell a live holder from a dead one, even across reboots and pid reuse. */
export interface RunLockHolder {
  pid: number;
  hostname: string;
  /** The kernel's boot id: a lock from another boot is stale. */
  bootId: string | null;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat): a reused pid has another. */
  processStart: string | null;
  command: string;
  since: string;
}

/** The machine facts a lock is judged by; tests pass their own. */
export interface LockProbe {
  hostname(): string;
  bootId(): string | null;
  /** null when the process does not exist (or has exited). */
  processStart(pid: number): string | null;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export const systemLockProbe: LockProbe = {
  hostname: () => hostname(),
  bootId: () => readOrNull('/proc/sys/kernel/random/boot_id')?.trim() ?? null,
  processStart(pid) {
    const stat = readOrNull(`/proc/${pid}/stat`);
    if (stat === null) {
      // No procfs (not Linux): all we can ask is whether the pid exists.
      try {
        process.kill(pid, 0);
        return 'unknown';
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'unknown' : null;
      }
    }
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? null : (fields[19] ?? 'unknown');
  },
};

/** Is the holder certainly gone? Unknown (another host, no procfs) counts as alive. */
export function isStale(holder: RunLockHolder, probe: LockProbe): boolean {
  if (holder.hostname !== probe.hostname()) return false;
  const bootId = probe.bootId();
  if (bootId !== null && holder.bootId !== null && bootId !== holder.bootId) return true;
  const start = probe.processStart(holder.pid);
  if (start === null) return true;
  return start !== 'unknown' && holder.processStart !== null && start !== holder.processStart;
}

export interface RunLock {
  readonly path: string;
  release(): Promise<void>;
}

function describe(holder: RunLockHolder, dir: string, path: string): string {
  return `${dir} is in use by ${holder.command} (pid ${holder.pid} on ${holder.hostname}, since ${holder.since}); wait for it to finish or stop it. If that process is gone, delete ${path}`;
}

/**
 * Takes `dir`'s advisory lock against a second backfill or load. The lock file is created whole and
 * exclusively (written to a private file, then link(2)ed into place, which fails when the name exists),
 * so no one ever sees a half-written lock. A stale lock (holder dead, pid reused, another boot) is
 * taken over atomically: it is renamed away (only one contender's rename succeeds), and put back if
 * what was moved turns out to be a fresh lock. A live holder is a {@link RunLockedError} naming it.
 */
export async function acquireRunLock(dir: string, command: string, probe: LockProbe = systemLockProbe): Promise<RunLock> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, RUN_LOCK_FILE);
  const holder: RunLockHolder = {
    pid: process.pid,
    hostname: probe.hostname(),
    bootId: probe.bootId(),
    processStart: probe.processStart(process.pid),
    command,
    since: new Date().toISOString(),
  };
  const text = JSON.stringify(holder);
  const mine = `${path}.${randomUUID()}`;
  await writeFile(mine, text, { flush: true });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(mine, path);
        await syncDirectory(dir);
        return { path, release: () => releaseIfOurs(path, text) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new MigrateError('INTERNAL', `cannot create the lock ${path}: ${(err as Error).message}`, { cause: err });
      }
      const seen = await readFile(path, 'utf8').catch(() => null);
      if (seen === null) continue; // released meanwhile
      const current = parseHolder(seen);
      if (current === null) throw new RunLockedError(`${dir} holds an unreadable lock ${path}; delete it if no backfill or load is running there`, { path });
      if (!isStale(current, probe)) throw new RunLockedError(describe(current, dir, path), { ...current, path });
      await takeOver(path, seen);
    }
    throw new RunLockedError(`cannot take the lock ${path}: other processes keep taking it`, { path });
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

function parseHolder(text: string): RunLockHolder | null {
  try {
    const value = JSON.parse(text) as RunLockHolder;
    return typeof value.pid === 'number' && typeof value.hostname === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Moves the stale lock `seen` out of the way; restores it when someone else replaced it first. */
async function takeOver(path: string, seen: string): Promise<void> {
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // another contender moved it
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => null);
  // Between our read and our rename another contender may have taken over and created a fresh lock.
  if (moved !== null && moved !== seen) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function releaseIfOurs(path: string, text: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => null);
  if (current === text) await unlink(path).catch(() => undefined);
}

/** Locks several directories (in order); on failure releases those already taken. */
export async function acquireRunLocks(dirs: readonly string[], command: string, probe?: LockProbe): Promise<RunLock[]> {
  const locks: RunLock[] = [];
  try {
    for (const dir of new Set(dirs.map((d) => resolve(d)))) locks.push(await acquireRunLock(dir, command, probe));
  } catch (err) {
    await releaseRunLocks(locks);
    throw err;
  }
  return locks;
}

export async function releaseRunLocks(locks: readonly RunLock[]): Promise<void> {
  for (const lock of [...locks].reverse()) await lock.release();
}
