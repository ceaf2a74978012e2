#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { MigrateError, errorMessage } from '../errors.js';
import { registerBackfill } from './backfill-command.js';
import { registerLoad, registerThrottle } from './load-command.js';
import { registerValidate } from './validate-command.js';
import { registerTune } from './tune-command.js';
import { registerLive } from './live-commands.js';
import { EXIT, EXIT_HELP, exitCodeFor } from './exit-codes.js';
import { redactSecrets } from '../shared/redact.js';
import { installBoltFloatLists } from '../source/bolt-float-lists.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('engram-migrate')
    .description('Move a live Neo4j graph to Engram without downtime and without losing a record.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerBackfill(program);
  registerLoad(program);
  registerThrottle(program);
  registerValidate(program);
  registerTune(program);
  registerLive(program);
  program.addHelpText(
    'after',
    `\nEnvironment: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE, ENGRAM_URL, ENGRAM_API_KEY\n(override the config file; flags override them). Secrets from files: NEO4J_PASSWORD_FILE, ENGRAM_API_KEY_FILE.\n\n${EXIT_HELP}`,
  );
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    const code = exitCodeFor(err);
    process.stderr.write(`engram-migrate: ${err instanceof MigrateError ? `${err.code}: ` : ''}${redactSecrets(errorMessage(err))}\n`);
    if (code === EXIT.INTERNAL && err instanceof Error && err.stack) process.stderr.write(`${redactSecrets(err.stack)}\n`);
    return code;
  }
}

// A reader that stops early (`engram-migrate validate --help | head`) closes the pipe: end quietly, as Unix
// tools do, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
  });

// This process is the tool's own (a service that imports the library keeps its driver as it is), so its main
// thread, which reads a label's first pages while the reader threads start (and every page with --readers 1),
// decodes embeddings the faster way too, as the reader threads do (200 µs of CPU per node read and laid out
// → 73-88 µs). Left out when its self-test disagrees.
installBoltFloatLists();

process.exitCode = await main(process.argv);
