/**
 * `describeRealEngram` for suites that need the REAL Engram server; starting and stopping it lives in
 * real-engram-server.ts (shared with the benchmarks), re-exported here.
 */
import { describe } from 'vitest';
import { realEngramBinary } from './real-engram-server.js';

export { realEngramBinary, startRealEngram, type RealEngram } from './real-engram-server.js';

let announced = false;

/**
 * `describe` for suites that need the real server: runs them when the binary exists, otherwise skips
 * them after printing one line (once per file) that says why.
 */
export function describeRealEngram(name: string, fn: () => void): void {
  if (realEngramBinary === null && !announced) {
    announced = true;
    console.log(`[real-engram] no Engram binary ($ENGRAM_BIN, ../shared/engram/bin/engram): skipping the real-server tests`);
  }
  describe.skipIf(realEngramBinary === null)(name, fn);
}
