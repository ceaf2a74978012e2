import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MigrateError } from '../errors.js';
import { DLQ_FILES } from './dlq-journal.js';

/** Who holds a dead-letter queue directory. */
export interface DlqLockInfo {
  pid: number;
  host: string;
  since: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); // a zombie has exited
  } catch {
    return true;
  }
}

/** The current holder of the lock, or null when the directory is free (a dead holder counts as free). */
export async function readDlqLock(dir: string): Promise<DlqLockInfo | null> {
  try {
    const info = JSON.parse(await readFile(join(dir, DLQ_FILES.lock), 'utf8')) as DlqLockInfo;
    return info.host === hostname() && !isAlive(info.pid) ? null : info;
  } catch {
    return null;
  }
}

/**
 * Takes the directory's lock (one writer per journal): an O_EXCL lock file with the pid. A lock left by
 * a process that died (kill -9) is taken over. Returns the release function.
 */
export async function acquireDlqLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, DLQ_FILES.lock);
  const info: DlqLockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify(info));
      await handle.close();
      return async () => {
        await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new MigrateError('DLQ_IO', `cannot create ${path}: ${(err as Error).message}`, { cause: err });
      const holder = await readDlqLock(dir);
      if (holder !== null) {
        throw new MigrateError('DLQ_IO', `dead-letter queue ${dir} is in use by pid ${holder.pid} on ${holder.host} since ${holder.since}`, { details: { ...holder } });
      }
      await rm(path, { force: true }); // stale: its holder died
    }
  }
  throw new MigrateError('DLQ_IO', `cannot take the lock ${path}`);
}
