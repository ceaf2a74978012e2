import { describe, expect, it } from 'vitest';
import { initialCutoverState } from '../../../src/live/cutover/cutover-state.js';
import { finalGate, type FinalGateEvidence } from '../../../src/live/status/final-gate.js';
import { dlqStats } from './dlq-stats.js';

const empty = dlqStats();
const now = Date.parse('2026-12-10T00:00:00Z');
const ready: FinalGateEvidence = {
  cutover: { ...initialCutoverState(), percent: 100, revision: 9, source: 'manual', updatedAt: '2026-12-01T00:00:00Z', phase: 'promoted' },
  forwardDlq: empty,
  reverseDlq: empty,
  counts: [{ space: 'notes', neo4j: 1000, engram: 1003, tombstonesInEngram: 3 }],
  shadowOverlap: 0.97,
  greenSince: '2026-12-01T00:00:00Z',
  now,
};
const failing = (e: FinalGateEvidence): string[] =>
  finalGate(e)
    .checks.filter((c) => c.required && c.pass !== true)
    .map((c) => c.name);

describe('final gate', () => {
  it('passes when Engram is the primary, both queues are empty and the counts agree up to the tombstones, green for the hours', () => {
    expect(finalGate(ready)).toMatchObject({ pass: true, ready: true });
  });

  it("measures the hours from the streak's first green check, not from the last change of the state", () => {
    const fresh = finalGate({ ...ready, greenSince: null });
    expect(fresh).toMatchObject({ pass: false, ready: true });
    expect(fresh.checks.at(-1)).toMatchObject({ name: 'green for 72 h', pass: false, detail: expect.stringContaining('0.0 h of 72 h') });
    expect(finalGate({ ...ready, greenSince: null }, { minHours: 0 }).pass).toBe(true);
    expect(finalGate({ ...ready, greenSince: '2026-12-09T00:00:00Z' }).pass).toBe(false); // 24 h < 72 h
  });

  it('names what blocks the archive', () => {
    const notPromoted = ['Engram primary (promoted)', 'green for 72 h'];
    expect(failing({ ...ready, cutover: { ...ready.cutover!, phase: 'cutover' } })).toEqual(notPromoted);
    expect(failing({ ...ready, cutover: { ...ready.cutover!, percent: 50 } })).toEqual(notPromoted);
    expect(failing({ ...ready, reverseDlq: null })).toEqual(['reverse dual write ran and is drained (writes for Neo4j)', 'green for 72 h']);
    expect(failing({ ...ready, forwardDlq: { ...empty, parked: 1 } })).toEqual(['forward queue drained (writes for Engram)', 'green for 72 h']);
    expect(failing({ ...ready, counts: [{ space: 'notes', neo4j: 1000, engram: 1003, tombstonesInEngram: 2 }] })).toEqual(['counts notes', 'green for 72 h']);
    expect(finalGate({ ...ready, shadowOverlap: 0.9 }).pass).toBe(false);
    expect(finalGate({ ...ready, shadowOverlap: null }).pass).toBe(true); // optional: not measured does not block
  });
});
