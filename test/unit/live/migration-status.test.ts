import { describe, expect, it } from 'vitest';
import { initialCutoverState, type CutoverState } from '../../../src/live/cutover/cutover-state.js';
import type { DlqStats } from '../../../src/live/dlq/dlq-state.js';
import { migrationStatus } from '../../../src/live/status/migration-status.js';

const dlq = (over: Partial<DlqStats> = {}): DlqStats => ({
  entries: 0,
  inDoubt: 0,
  queued: 0,
  inFlight: 0,
  parked: 0,
  superseded: 0,
  depth: 0,
  oldestQueuedAt: null,
  journalBytes: 0,
  ...over,
});
const cut = (percent: number, over: Partial<CutoverState> = {}): CutoverState => ({
  ...initialCutoverState(),
  percent,
  revision: 3,
  source: 'manual',
  ...over,
});
const states = (s: ReturnType<typeof migrationStatus>): string[] => s.phases.map((p) => `${p.phase}:${p.state}`);

describe('migration status', () => {
  it('places the migration among the five phases from the queue and the cutover state', () => {
    expect(migrationStatus({ dlq: null, dlqHeld: false, cutover: null, cutoverError: null, tombstones: null })).toMatchObject({ current: 0 });
    const dual = migrationStatus({ dlq: dlq({ depth: 3 }), dlqHeld: true, cutover: null, cutoverError: null, tombstones: 0 });
    expect(states(dual)).toEqual(['1:active', '2:unknown', '3:active', '4:pending', '5:pending']);
    expect(dual.current).toBe(3);
    const canary = migrationStatus({ dlq: dlq(), dlqHeld: true, cutover: cut(10), cutoverError: null, tombstones: 0 });
    expect(canary.current).toBe(4);
    expect(canary.phases[3]!.detail).toContain('10%');
    expect(canary.next).toContain('cutover set 0');
    const done = migrationStatus({ dlq: dlq(), dlqHeld: true, cutover: cut(100), cutoverError: null, tombstones: 7 });
    expect(states(done).slice(2)).toEqual(['3:done', '4:done', '5:pending']);
    expect(done.phases[4]!.detail).toContain('7 deleted in Neo4j');
    expect(migrationStatus({ dlq: dlq({ parked: 2 }), dlqHeld: false, cutover: cut(0), cutoverError: null, tombstones: 0 }).next).toContain('2 parked');
    expect(migrationStatus({ dlq: dlq(), dlqHeld: false, cutover: null, cutoverError: 'Neo4j down', tombstones: null }).phases[3]).toMatchObject({
      state: 'unknown',
      detail: expect.stringContaining('Neo4j down'),
    });
  });
});
