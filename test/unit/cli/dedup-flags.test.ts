import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../../src/cli/common-options.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes.js';
import { dedupMode } from '../../../src/dedup/dedup-guard.js';
import { MigrateError } from '../../../src/errors.js';

describe('--on-dedup', () => {
  const quiet = (): void => undefined;

  it('defaults to record for an Engram target and off for a bundle', () => {
    expect(dedupMode(configFromFlags({ target: 'engram' }, {}, quiet).target)).toBe('record');
    expect(dedupMode(configFromFlags({ target: 'bundle' }, {}, quiet).target)).toBe('off');
  });

  it('lands in target.onDedup and wins over the default', () => {
    expect(dedupMode(configFromFlags({ target: 'engram', onDedup: 'refuse' }, {}, quiet).target)).toBe('refuse');
    expect(dedupMode(configFromFlags({ target: 'bundle', onDedup: 'record' }, {}, quiet).target)).toBe('record');
  });

  it('refuses an unknown mode, naming the option', () => {
    expect(() => configFromFlags({ onDedup: 'maybe' }, {}, quiet)).toThrow(/target\.onDedup/);
  });

  it('a predicted drop under refuse exits 9', () => {
    expect(exitCodeFor(new MigrateError('DEDUP_PREDICTED', 'x'))).toBe(EXIT.DEDUP);
    expect(EXIT.DEDUP).toBe(9);
  });
});
