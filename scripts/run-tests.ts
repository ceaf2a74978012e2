/**
 * `npm test`: runs the whole vitest suite (unit and integration against the real Neo4j), then prints
 * one plain closing line, "tests: N passed, N failed, N skipped", that any CI log reader understands,
 * and exits with vitest's own code. Extra arguments go to vitest.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

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
const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
/** The parts of vitest's JSON report read here. */
interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: Array<{
    name: string;
    status: string;
    message?: string;
    assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }>;
  }>;
}

const firstLines = (text: string, n: number): string =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, n)
    .join('\n      ');

let line = 'tests: no result file (vitest did not finish)';
try {
  const r = JSON.parse(readFileSync(out, 'utf8')) as JsonReport;
  // A CI log is read from its end: name every failure there, with the first lines of its error.
  const failures: string[] = [];
  for (const file of r.testResults) {
    const where = relative(process.cwd(), file.name);
    if (file.status === 'failed' && file.assertionResults.every((a) => a.status !== 'failed'))
      failures.push(`${where} (the file failed: ${firstLines(file.message ?? 'no message', 3)})`);
    for (const a of file.assertionResults.filter((x) => x.status === 'failed'))
      failures.push(`${where} > ${a.fullName}\n      ${firstLines(a.failureMessages.join('\n'), 4)}`);
  }
  if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
  line = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
} catch {
  // the line above says so
}
console.log(line);
process.exit(run.status ?? 1);
