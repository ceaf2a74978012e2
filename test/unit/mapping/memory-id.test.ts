import { describe, expect, it } from 'vitest';
import { keyValueOf, memoryIdForElement, memoryIdForKey, parseMemoryId, type KeyValue } from '../../../src/mapping/memory-id.js';

describe('memory ids (one reversible rule)', () => {
  it.each<[KeyValue[], string]>([
    [['alice'], 'alice'],
    [[16961n], '16961'],
    [[-5n], '-5'],
    [[2n ** 63n - 1n], '9223372036854775807'],
    [['16961'], '~s:16961'],
    [['~x'], '~s:~x'],
    [['007'], '007'],
    [['Alice', 1987n], '~c:["Alice","1987"]'],
    [['a"b', '~c'], '~c:["a\\"b","~s:~c"]'],
  ])('key %# ↔ %s', (values, id) => {
    expect(memoryIdForKey(values)).toBe(id);
    expect(parseMemoryId(id)).toEqual({ kind: 'key', values });
  });

  it('round-trips element ids', () => {
    const id = memoryIdForElement('4:7c9e:123');
    expect(id).toBe('~e:4:7c9e:123');
    expect(parseMemoryId(id)).toEqual({ kind: 'element', elementId: '4:7c9e:123' });
  });

  it('accepts strings and 64-bit integers as keys, and says why anything else is not one', () => {
    expect(keyValueOf(42)).toEqual({ ok: true, value: 42n });
    expect(keyValueOf(2n ** 60n)).toEqual({ ok: true, value: 2n ** 60n });
    expect(keyValueOf(undefined)).toMatchObject({ ok: false, missing: true });
    expect(keyValueOf('')).toMatchObject({ ok: false, reason: 'is an empty string' });
    expect(keyValueOf(1.5)).toMatchObject({ ok: false, reason: 'is 1.5; a key must be a string or an integer' });
    expect(keyValueOf(2n ** 64n)).toMatchObject({ ok: false });
    expect(keyValueOf(['a'])).toMatchObject({ ok: false, reason: 'is a list; a key must be a string or an integer' });
  });
});
