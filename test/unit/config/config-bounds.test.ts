import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerDlq } from '../../../src/cli/live-commands.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';

describe('upper bounds on engine, target and source options', () => {
  it.each([
    ['source.readers', { source: { readers: 100_000 } }],
    ['source.fetchSize', { source: { fetchSize: 10_000_000 } }],
    ['target.concurrency', { target: { concurrency: 1_000_000 } }],
    ['target.maxRetries', { target: { maxRetries: 1e9 } }],
    ['target.retryMaxMs', { target: { retryMaxMs: 1e12 } }],
    ['target.timeoutMs', { target: { timeoutMs: 1e12 } }],
    ['engine.batchSize', { engine: { batchSize: 50_000_000 } }],
    ['engine.workers', { engine: { workers: 80_000 } }],
    ['engine.inferenceThreads', { engine: { inferenceThreads: 10_000 } }],
    ['engine.maxInflightBatches', { engine: { maxInflightBatches: 100_000 } }],
    ['engine.edgeBatchSize', { engine: { edgeBatchSize: 50_000_000 } }],
    ['engine.pauseMs', { engine: { pauseMs: 1e12 } }],
  ])('%s: an out-of-range value is an error naming the option', (path, options) => {
    expect(() => resolveConfig(options as never)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', path, message: expect.stringContaining('must be at most') }),
    );
  });

  it('accepts values at the bounds', () => {
    const c = resolveConfig({ engine: { workers: 256, batchSize: 100_000 }, target: { concurrency: 1024 }, source: { readers: 256 } });
    expect([c.engine.workers, c.engine.batchSize, c.target.concurrency, c.source.readers]).toEqual([256, 100_000, 1024, 256]);
  });
});

describe('dlq replay --concurrency', () => {
  it('refuses 0 (a replayer with no writes in flight never drains the queue)', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    registerDlq(program);
    const err = await program.parseAsync(['node', 'engram-migrate', 'dlq', 'replay', '--concurrency', '0']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).code).toBe('commander.invalidArgument');
    expect((err as CommanderError).message).toMatch(/--concurrency/);
  });
});
