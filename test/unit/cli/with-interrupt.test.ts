import { describe, expect, it } from 'vitest';
import { withInterrupt } from '../../../src/cli/output.js';

describe('withInterrupt', () => {
  it('gives a signal that many requests in flight may listen on without a false leak warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      await withInterrupt(
        async (signal) => {
          for (let i = 0; i < 64; i++) signal.addEventListener('abort', () => undefined);
        },
        () => undefined,
      );
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('aborts the signal on SIGTERM and calls onInterrupt once', async () => {
    let interrupted = 0;
    const reason = await withInterrupt(
      (signal) =>
        new Promise<unknown>((resolve) => {
          signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
          process.emit('SIGTERM');
        }),
      () => void interrupted++,
    );
    expect(interrupted).toBe(1);
    expect(String(reason)).toContain('interrupted');
  });
});
