import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/validate/duration.js';

describe('parseDuration', () => {
  it('reads ms, s, m, h, d and combinations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2d')).toBe(172_800_000);
  });

  it('refuses anything else, naming the option', () => {
    for (const bad of ['', '10', 'h', '1x', '1h 30m', '-1s', '0s']) {
      expect(() => parseDuration(bad, '--every')).toThrow(/--every/);
    }
    let caught: unknown = null;
    try {
      parseDuration('1y', '--every');
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: string } | null)?.code).toBe('CONFIG_INVALID');
  });
});
