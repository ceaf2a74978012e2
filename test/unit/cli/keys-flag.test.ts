import { describe, expect, it } from 'vitest';
import { configFromFlags, keysArg } from '../../../src/cli/common-options.js';

describe('--key and --keys', () => {
  it('parses a key per label, a composite with +, and labels named like Object.prototype members', () => {
    expect(keysArg('Person=name, Movie=title,Role=person+movie,constructor=id')).toEqual({
      Person: 'name',
      Movie: 'title',
      Role: ['person', 'movie'],
      constructor: 'id',
    });
  });

  it.each(['Person', '=name', 'Person=', 'Role=a+'])('refuses %j, naming the pair', (value) => {
    expect(() => keysArg(value)).toThrow(/Label=property/);
  });

  it('lands in mapping.keys and mapping.key', () => {
    const config = configFromFlags({ keys: { Movie: 'title' }, key: 'name' }, {});
    expect([config.mapping.keys, config.mapping.key]).toEqual([{ Movie: 'title' }, 'name']);
  });
});
