import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MigrateError, errorMessage } from '../../errors.js';
import { DLQ_FILES } from './dlq-journal.js';

/**
 * Who a process is, in terms that survive pid reuse and container restarts: a restarted container runs
 * the service as PID 1 again (the lock's pid equals ours), so the pid alone proves nothing. The kernel's
 * boot id changes with every boot; a process's start time (clock ticks since boot, /proc/<pid>/stat
 * field 22) differs between two processes that got the same pid.
 */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id; null where there is no /proc. */
  bootId: string | null;
  /** Start time of `pid` in clock ticks since boot; null where there is no /proc. */
  startTime: number | null;
}

/** Who holds a dead-letter queue directory (the lock file's JSON). Locks of older versions lack the last three fields. */
export interface DlqLockInfo {
  pid: number;
  host: string;
  since: string;
  bootId?: string | null;
  startTime?: number | null;
  /** Random per acquisition: names the lock instance a takeover replaces. */
  token?: string;
}

export interface DlqLockOptions {
  /** The holder touches the lock file this often (default 5 s): the heartbeat another host judges by. */
  heartbeatMs?: number;
  /**
   * A lock whose holder cannot be checked from here (another host or pid namespace sharing the volume)
   * is stale once its heartbeat is older than this (default 30 s).
   */
  staleAfterMs?: number;
  now?: () => number;
  /** This process (tests pass another identity to play a second host or a restarted container). */
  identity?: ProcessIdentity;
  /** Told when the lock was taken over from a holder that died (crashed, killed) instead of released. */
  onTakeOver?: (why: string) => void;
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Start time (field 22) and state of a process from /proc/<pid>/stat; null when absent. */
function procStat(pid: number): { state: string; startTime: number } | null {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === null) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // comm may contain spaces and ')'
  return { state: fields[0] ?? '', startTime: Number(fields[19]) };
}

/** This process's identity. */
export function currentProcessIdentity(): ProcessIdentity {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: readProc('/proc/sys/kernel/random/boot_id')?.trim() ?? null,
    startTime: procStat(process.pid)?.startTime ?? null,
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why a lock is stale, or null when its holder may be alive. */
export function staleReason(info: DlqLockInfo | null, mtimeMs: number, self: ProcessIdentity, now: number, staleAfterMs: number): string | null {
  const age = now - mtimeMs;
  if (info === null) return age > staleAfterMs ? `unreadable lock, untouched for ${Math.round(age / 1000)} s` : null;
  const sameMachine = info.host === self.host && (info.bootId == null || self.bootId === null || info.bootId === self.bootId);
  if (info.host === self.host && info.bootId != null && self.bootId !== null && info.bootId !== self.bootId)
    return `taken before a reboot (boot ${info.bootId})`;
  if (!sameMachine) return age > staleAfterMs ? `holder on ${info.host} silent for ${Math.round(age / 1000)} s` : null;
  if (info.pid === self.pid && info.startTime != null && self.startTime !== null) {
    return info.startTime === self.startTime ? null : `pid ${info.pid} is this process now (restarted container?), started at another time`;
  }
  if (!pidAlive(info.pid)) return `pid ${info.pid} is gone`;
  const proc = procStat(info.pid);
  if (proc?.state === 'Z') return `pid ${info.pid} has exited (zombie)`;
  if (proc !== null && info.startTime != null && proc.startTime !== info.startTime) return `pid ${info.pid} was reused by another process`;
  return null;
}

interface Holder {
  info: DlqLockInfo | null;
  ino: number;
  mtimeMs: number;
}

async function readHolder(path: string): Promise<Holder | null> {
  try {
    const [text, s] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let info: DlqLockInfo | null = null;
    try {
      const parsed = JSON.parse(text) as DlqLockInfo;
      if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') info = parsed;
    } catch {
      // unreadable: judged by its age
    }
    return { info, ino: s.ino, mtimeMs: s.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The current holder of the lock, or null when the directory is free (a stale lock counts as free). */
export async function readDlqLock(dir: string, options: DlqLockOptions = {}): Promise<DlqLockInfo | null> {
  const holder = await readHolder(join(dir, DLQ_FILES.lock)).catch(() => null);
  if (holder === null) return null;
  const reason = staleReason(
    holder.info,
    holder.mtimeMs,
    options.identity ?? currentProcessIdentity(),
    (options.now ?? Date.now)(),
    options.staleAfterMs ?? 30_000,
  );
  return reason === null ? holder.info : null;
}

const ignore = (): undefined => undefined;

/**
 * Takes the directory's lock (one writer per journal). The lock is created complete (written to a side
 * file, then hard-linked into place: link fails if the name exists, so there is never a half-written
 * lock). A stale lock is taken over atomically: the contender first creates a takeover marker named
 * after the stale lock's token (O_EXCL via link), so of two processes judging the same lock stale only
 * one replaces it; the other finds the marker, or the winner's fresh lock, and fails. Returns the release.
 */
export async function acquireDlqLock(dir: string, options: DlqLockOptions = {}): Promise<() => Promise<void>> {
  const path = join(dir, DLQ_FILES.lock);
  const self = options.identity ?? currentProcessIdentity();
  const now = options.now ?? Date.now;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const info: DlqLockInfo = {
    pid: self.pid,
    host: self.host,
    since: new Date(now()).toISOString(),
    bootId: self.bootId,
    startTime: self.startTime,
    token: randomUUID(),
  };
  const side = `${path}.${info.token}`;
  await writeFile(side, JSON.stringify(info)).catch((err: unknown) => {
    throw new MigrateError('DLQ_IO', `cannot write ${side}: ${errorMessage(err)}`, { cause: err });
  });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(side, path);
        return holdLock(path, info.token!, options.heartbeatMs ?? 5_000);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new MigrateError('DLQ_IO', `cannot create ${path}: ${errorMessage(err)}`, { cause: err });
      }
      const holder = await readHolder(path);
      if (holder === null) continue; // released meanwhile
      const why = staleReason(holder.info, holder.mtimeMs, self, now(), staleAfterMs);
      if (why === null) {
        const h = holder.info!;
        throw new MigrateError('DLQ_IO', `dead-letter queue ${dir} is in use by pid ${h.pid} on ${h.host} since ${h.since}`, { details: { ...h } });
      }
      if (await takeOver(path, side, holder, why)) {
        options.onTakeOver?.(why);
        return holdLock(path, info.token!, options.heartbeatMs ?? 5_000);
      }
    }
  } finally {
    await unlink(side).catch(ignore);
  }
  throw new MigrateError('DLQ_IO', `cannot take the lock ${path}`);
}

/**
 * Replaces the stale lock `holder` by ours (`side`): true when ours is in place, false when the lock
 * changed meanwhile (start over); throws when another process is taking it over.
 */
async function takeOver(path: string, side: string, holder: Holder, why: string): Promise<boolean> {
  const marker = `${path}.takeover.${holder.info?.token ?? `ino${holder.ino}`}`;
  try {
    await link(side, marker);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new MigrateError('DLQ_IO', `cannot create ${marker}: ${errorMessage(err)}`, { cause: err });
    const age =
      Date.now() -
      (await stat(marker).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      ));
    if (age > 10_000) await unlink(marker).catch(ignore); // left by a contender that died mid-takeover
    throw new MigrateError('DLQ_IO', `the stale lock ${path} (${why}) is being taken over by another process`, { details: { marker } });
  }
  try {
    const current = await readHolder(path);
    if (current === null || current.ino !== holder.ino) return false; // gone or replaced meanwhile: start over
    await unlink(path);
    // EEXIST: a process that found no lock at all linked its own in between; it won
    return await link(side, path).then(
      () => true,
      (err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? false : Promise.reject(err)),
    );
  } finally {
    await unlink(marker).catch(ignore);
  }
}

/** Heartbeat while held; the release removes the lock only while it is still ours. */
function holdLock(path: string, token: string, heartbeatMs: number): () => Promise<void> {
  const timer = setInterval(() => {
    const t = new Date();
    utimes(path, t, t).catch(ignore);
  }, heartbeatMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    const holder = await readHolder(path).catch(() => null);
    if (holder?.info?.token === token) await unlink(path).catch(ignore);
  };
}
