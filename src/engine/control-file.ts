import { readFile, stat, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { WriteLimiter } from './write-limiter.js';

/** `<runDir>/control.json`: settings a running backfill picks up within a second, or at once on SIGUSR2. */
export const controlSchema = z
  .object({
    rate: z.number().nonnegative().optional(),
    concurrency: z.number().int().nonnegative().optional(),
  })
  .strict();
export type ControlSettings = z.infer<typeof controlSchema>;

export const controlPath = (runDir: string): string => join(runDir, 'control.json');

/** Writes the control file atomically (what `engram-migrate throttle` does). */
export async function writeControl(runDir: string, settings: ControlSettings): Promise<void> {
  const path = controlPath(runDir);
  const current = await readFile(path, 'utf8').then(
    (t) => controlSchema.parse(JSON.parse(t)),
    () => ({}),
  );
  await writeFile(`${path}.tmp`, JSON.stringify({ ...current, ...controlSchema.parse(settings) }));
  await rename(`${path}.tmp`, path);
}

/**
 * Polls the control file (and listens for SIGUSR2) and applies changes to the limiter.
 * Returns a function that stops watching. Bad files are reported, never applied.
 */
export function watchControl(runDir: string, limiter: WriteLimiter, onChange: (message: string) => void, pollMs = 500): () => void {
  const path = controlPath(runDir);
  let lastMtime = 0;
  const check = async (force: boolean): Promise<void> => {
    const info = await stat(path).catch(() => null);
    if (!info || (!force && info.mtimeMs === lastMtime)) return;
    lastMtime = info.mtimeMs;
    try {
      const settings = controlSchema.parse(JSON.parse(await readFile(path, 'utf8')));
      await limiter.update(settings);
      onChange(`control: rate=${limiter.settings.rate || 'unlimited'} concurrency=${limiter.settings.concurrency || 'unlimited'}`);
    } catch (err) {
      onChange(`control: ignoring ${path}: ${(err as Error).message}`);
    }
  };
  const timer = setInterval(() => void check(false), pollMs);
  timer.unref();
  const onSignal = (): void => void check(true);
  process.on('SIGUSR2', onSignal);
  // A control file left from an earlier run does not override this run's flags: only changes count.
  void stat(path).then(
    (info) => (lastMtime = info.mtimeMs),
    () => undefined,
  );
  return () => {
    clearInterval(timer);
    process.off('SIGUSR2', onSignal);
  };
}
