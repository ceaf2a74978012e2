import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Flushes a directory's entries (names created, renamed or removed in it) to stable storage. Without
 * it a file whose data was fsynced can still vanish after a power cut, because its name never reached
 * the disk.
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` atomically and durably: write a temporary file, fsync it, rename it over `path`,
 * fsync the directory. A kill -9 or power cut at any instant leaves either the old or the new file.
 */
export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}
