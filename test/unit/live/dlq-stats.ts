import type { DlqStats } from '../../../src/live/dlq/dlq-state.js';

/** A queue's stats for status and gate tests: empty, with `over` on top. */
export const dlqStats = (over: Partial<DlqStats> = {}): DlqStats => ({
  entries: 0,
  inDoubt: 0,
  queued: 0,
  inFlight: 0,
  parked: 0,
  superseded: 0,
  rechecks: 0,
  depth: 0,
  oldestQueuedAt: null,
  journalBytes: 0,
  ...over,
});
