/** The race-safe backfill's settings and stamp comparison (the behaviour is in test/integration/backfill-live-race.test.ts). */
import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../../src/cli/common-options.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { stampKey } from '../../../src/engine/live-race.js';

describe('race-safe backfill settings', () => {
  it('checks the live stamp _live_written_at by default and keeps it out of content', () => {
    const c = resolveConfig({});
    expect(c.engine.liveStampProperty).toBe('_live_written_at');
    expect(c.engine.liveRaceRounds).toBe(5);
    expect(c.mapping.excludeProperties).toEqual(['_live_written_at']);
    expect(resolveConfig({ mapping: { excludeProperties: ['_live_written_at', 'x'] } }).mapping.excludeProperties).toEqual(['_live_written_at', 'x']);
  });

  it('--live-stamp-property names another property, and none turns the check off', () => {
    const other = configFromFlags({ liveStampProperty: 'updated_ms' }, {}, () => undefined);
    expect(other.engine.liveStampProperty).toBe('updated_ms');
    expect(other.mapping.excludeProperties).toEqual(['updated_ms']);
    const off = configFromFlags({ liveStampProperty: 'none' }, {}, () => undefined);
    expect(off.engine.liveStampProperty).toBeNull();
    expect(off.mapping.excludeProperties).toEqual([]);
  });

  it('names the option when the rounds are out of range', () => {
    expect(() => resolveConfig({ engine: { liveRaceRounds: 0 } })).toThrow(/engine\.liveRaceRounds/);
  });
});

describe('stampKey', () => {
  it('tells a stamp that appeared or changed, and an integer from a float of the same value', () => {
    expect(stampKey(undefined)).toBeNull();
    expect(stampKey(null)).toBeNull();
    expect(stampKey(1_800_000_000_000)).toBe('1800000000000');
    expect(stampKey(1_800_000_000_000)).not.toBe(stampKey(1_800_000_000_001));
    expect(stampKey(12n)).not.toBe(stampKey(12));
    expect(stampKey('2026-12-06T12:00:00Z')).toBe('"2026-12-06T12:00:00Z"');
  });
});
