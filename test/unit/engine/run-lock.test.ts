import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { loadBundle } from '../../../src/engine/load-bundle.js';
import { acquireRunLock, RUN_LOCK_FILE, systemLockProbe, type LockProbe, type RunLockHolder } from '../../../src/engine/run-lock.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { bundleLine, writeBundle } from '../../helpers/bundle-fixture.js';

/** A machine where `alive` maps pid → its start time; everything else has exited. */
function probe(alive: Record<number, string>, bootId = 'boot-1', host = 'host-a'): LockProbe {
  return { hostname: () => host, bootId: () => bootId, processStart: (pid) => alive[pid] ?? null };
}

function plantLock(dir: string, holder: Partial<RunLockHolder>): void {
  const full: RunLockHolder = {
    pid: 4242,
    hostname: 'host-a',
    bootId: 'boot-1',
    processStart: '100',
    command: 'backfill',
    since: '2026-01-01T00:00:00.000Z',
    ...holder,
  };
  writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify(full));
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'em-lock-'));

describe('run lock', () => {
  it('refuses a second holder and names the first; free again after release', async () => {
    const dir = tmp();
    const me = probe({ [process.pid]: '7' });
    const first = await acquireRunLock(dir, 'backfill', me);
    const second = acquireRunLock(dir, 'load', me);
    await expect(second).rejects.toMatchObject({ code: 'RUN_LOCKED', details: { pid: process.pid, command: 'backfill' } });
    await expect(second).rejects.toThrow(new RegExp(`pid ${process.pid} on host-a`));
    await first.release();
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
    await (await acquireRunLock(dir, 'load', me)).release();
  });

  it('a live holder keeps the lock', async () => {
    const dir = tmp();
    plantLock(dir, {});
    await expect(acquireRunLock(dir, 'backfill', probe({ 4242: '100', [process.pid]: '7' }))).rejects.toMatchObject({ code: 'RUN_LOCKED' });
  });

  it.each([
    ['the holder has exited', {}, probe({ [process.pid]: '7' })],
    ['its pid now belongs to another process (a restarted container)', {}, probe({ 4242: '999', [process.pid]: '7' })],
    ['the machine has rebooted since', {}, probe({ 4242: '100', [process.pid]: '7' }, 'boot-2')],
  ])('takes over a stale lock: %s', async (_why, holder, p) => {
    const dir = tmp();
    plantLock(dir, holder);
    const lock = await acquireRunLock(dir, 'backfill', p);
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, command: 'backfill', bootId: p.bootId() });
    await lock.release();
  });

  it('does not judge a lock from another host stale', async () => {
    const dir = tmp();
    plantLock(dir, { hostname: 'host-b' });
    await expect(acquireRunLock(dir, 'backfill', probe({ [process.pid]: '7' }))).rejects.toThrow(/pid 4242 on host-b/);
  });

  it("reads this machine's facts: our own start time, nothing for a pid that does not exist", () => {
    expect(systemLockProbe.processStart(process.pid)).toMatch(/^\d+$|^unknown$/);
    expect(systemLockProbe.processStart(2 ** 22 + 12345)).toBeNull();
  });

  it('a load into a locked run directory fails with exit 8 before sending anything', async () => {
    const runDir = tmp();
    const bundle = await writeBundle({ docs: [bundleLine('a', 'docs')] });
    const held = await acquireRunLock(runDir, 'backfill');
    try {
      const config = resolveConfig({ target: { kind: 'engram', url: 'http://127.0.0.1:9' }, runDir });
      const err = await loadBundle({ bundleDir: bundle, config }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'RUN_LOCKED' });
      expect(exitCodeFor(err)).toBe(8);
    } finally {
      await held.release();
    }
  });
});
