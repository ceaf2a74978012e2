import { describe, expect, it } from 'vitest';
import { SpaceLanes } from '../../../src/target/space-lanes.js';

describe('SpaceLanes', () => {
  it('gives a free lane the space with the fewest requests in flight, each space in batch order', () => {
    // a hash's run: six records of a, then b's
    const lanes = new SpaceLanes(['a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b']);
    const first = [lanes.take(1)!, lanes.take(1)!, lanes.take(1)!, lanes.take(1)!];
    // in batch order the four lanes would all be on a; spread, two are on each space
    expect(first.map((t) => t.rows[0])).toEqual([0, 6, 1, 7]);
    lanes.release('b'); // a lane of b comes back: b has 1 in flight, a 2
    expect(lanes.take(1)!.rows).toEqual([8]);
    lanes.release('a');
    lanes.release('a'); // a has 0 in flight
    expect(lanes.take(1)!.rows).toEqual([2]);
    expect(lanes.remaining).toBe(4);
  });

  it('ties go to the space whose next record comes first; chunks stay within one space', () => {
    const lanes = new SpaceLanes(['b', 'a', 'b', 'a', 'a', 'b']);
    expect(lanes.take(2)).toEqual({ space: 'b', rows: [0, 2] });
    expect(lanes.take(2)).toEqual({ space: 'a', rows: [1, 3] });
    expect(lanes.take(5)).toEqual({ space: 'a', rows: [4] });
    expect(lanes.take(5)).toEqual({ space: 'b', rows: [5] });
    expect(lanes.take(1)).toBeNull();
  });

  it('counts the requests a previous batch still has in flight', () => {
    const inFlight = new Map<string, number>();
    const previous = new SpaceLanes(['a', 'a', 'a'], inFlight);
    previous.take(1);
    previous.take(1);
    // the next batch starts while two of a's requests are on the wire: its first lanes go to b
    const next = new SpaceLanes(['a', 'a', 'b', 'b'], inFlight);
    expect([next.take(1)!.space, next.take(1)!.space, next.take(1)!.space]).toEqual(['b', 'b', 'a']);
    expect(Object.fromEntries(inFlight)).toEqual({ a: 3, b: 2 });
    for (const space of ['a', 'a', 'a', 'b', 'b']) (space === 'a' ? previous : next).release(space);
    expect(inFlight.size).toBe(0);
  });

  it('one space: the batch order, as before', () => {
    const lanes = new SpaceLanes(['s', 's', 's']);
    expect([lanes.take(1)!.rows, lanes.take(1)!.rows, lanes.take(1)!.rows]).toEqual([[0], [1], [2]]);
    expect(lanes.take(1)).toBeNull();
  });
});
