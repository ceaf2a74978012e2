/**
 * `npm test`: runs the whole vitest suite (unit and integration against the real Neo4j), then prints
 * one plain closing line, "tests: N passed, N failed, N skipped", that any CI log reader understands,
 * and exits with vitest's own code. Extra arguments go to vitest.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const USAGE = `Usage: node dist/scripts/run-tests.js [vitest arguments]   (npm test -- [vitest arguments])

Runs the whole vitest suite (unit, and integration against the real Neo4j that the suite starts, and the
real Engram server when ../shared/engram/bin/engram or ENGRAM_BIN is there), then prints one closing line
"tests: N passed, N failed, N skipped" and exits with vitest's code. Other arguments go to vitest, e.g.
  npm test -- test/unit/mapping          one folder
  npm test -- --project unit             the unit tests only`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

const out = '.runs/test-results.json';
mkdirSync('.runs', { recursive: true });
const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...process.argv.slice(2)], { stdio: 'inherit' });
let line = 'tests: no result file (vitest did not finish)';
try {
  const r = JSON.parse(readFileSync(out, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  line = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
} catch {
  // the line above says so
}
console.log(line);
process.exit(run.status ?? 1);
