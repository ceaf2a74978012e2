import { MigrateError } from '../errors.js';

/** Exit codes of every command; stable, documented in the README and `--help`. */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  SOURCE: 3,
  TARGET: 4,
  CAPACITY: 5,
  REJECTS: 6,
  VALIDATION_FAILED: 7,
  CHECKPOINT: 8,
  DEDUP: 9,
  INTERRUPTED: 130,
} as const;

export const EXIT_HELP = `Exit codes:
  0    success: every record migrated (or every check passed)
  1    unexpected internal error
  2    invalid usage or configuration (the message names the option)
  3    Neo4j unreachable or a query failed
  4    target unreachable, refused auth, or writes failed after all retries
  5    refused to start: a memory space would exceed the target's capacity
  6    finished, but some records were rejected (see the run's rejects.ndjson)
  7    validation found faults above the thresholds
  8    checkpoint conflict (unfinished run: --resume or --overwrite), a bundle that already
       holds memories (--append or --overwrite), or another process holds the run
       directory or bundle (the message names it)
  9    refused: the target would drop memories as near-duplicates (--on-dedup refuse)
  130  interrupted (Ctrl-C); resume with --resume`;

/** The exit code for an error from the library. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof MigrateError)) return EXIT.INTERNAL;
  switch (err.code) {
    case 'CONFIG_INVALID':
      return EXIT.USAGE;
    case 'SOURCE_UNAVAILABLE':
    case 'SOURCE_QUERY_FAILED':
      return EXIT.SOURCE;
    case 'TARGET_UNAVAILABLE':
    case 'TARGET_HTTP':
    case 'TARGET_REJECTED':
    case 'TARGET_AUTH':
    case 'BUNDLE_INVALID':
      return EXIT.TARGET;
    case 'CAPACITY_EXCEEDED':
      return EXIT.CAPACITY;
    case 'DEDUP_PREDICTED':
      return EXIT.DEDUP;
    case 'CHECKPOINT_INVALID':
    case 'BUNDLE_NOT_EMPTY':
    case 'RUN_LOCKED':
      return EXIT.CHECKPOINT;
    case 'ABORTED':
      return EXIT.INTERRUPTED;
    default:
      return EXIT.INTERNAL;
  }
}
