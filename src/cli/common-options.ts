import { type Command, InvalidArgumentError, Option } from 'commander';
import type { PartialOptions } from '../config/resolve-config.js';
import { readSecretFile, resolveLayeredConfig } from '../config/resolve-config.js';
import { configWarnings } from '../config/config-warnings.js';
import { ConfigError } from '../errors.js';
import type { ResolvedConfig } from '../config/config-schema.js';

/** Parses a whole, non-negative number; anything else is an error that names the flag (no silent coercion). */
export function integerArg(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number ≥ 0, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** A whole number from 1 to `max`: for counts where 0 would mean "never make progress". */
export function positiveIntegerArg(max: number): (value: string) => number {
  return (value) => {
    const n = integerArg(value);
    if (n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** A percentage from 0 to 100 (decimals allowed). */
export function percentArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100)
    throw new InvalidArgumentError(`expected a percentage from 0 to 100, got ${JSON.stringify(value)}`);
  return n;
}

export function numberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

function listArg(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `Person=name,Movie=title,Role=person+movie` → label → key property (several, joined by `+`: a composite key). */
export function keysArg(value: string): Record<string, string | string[]> {
  const keys: Record<string, string | string[]> = {};
  for (const item of listArg(value)) {
    const at = item.lastIndexOf('=');
    const label = item.slice(0, at).trim();
    const properties = item
      .slice(at + 1)
      .split('+')
      .map((p) => p.trim());
    if (at <= 0 || properties.some((p) => p === '')) throw new InvalidArgumentError(`expected Label=property[+property] pairs, got ${JSON.stringify(item)}`);
    Object.defineProperty(keys, label, { value: properties.length === 1 ? properties[0]! : properties, enumerable: true, writable: true, configurable: true });
  }
  return keys;
}

/** Flags every command that talks to Neo4j and a target shares. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (JSON or YAML); flags and environment variables override it')
    .option('--neo4j-uri <uri>', 'Neo4j Bolt URI [env NEO4J_URI] (default bolt://127.0.0.1:7687)')
    .option('--neo4j-user <user>', 'Neo4j user [env NEO4J_USER]')
    .option('--neo4j-password <password>', 'Neo4j password [env NEO4J_PASSWORD]; visible to ps: prefer the environment or --neo4j-password-file')
    .option('--neo4j-password-file <file>', 'file holding the Neo4j password [env NEO4J_PASSWORD_FILE]')
    .option('--database <name>', 'Neo4j database [env NEO4J_DATABASE] (default neo4j)')
    .option(
      '--readers <n>',
      'parallel Neo4j reader threads; 0 = by job: a backfill into Engram (slower than one reader) reads on its main thread, anything else uses one per core (default 0)',
      integerArg,
    )
    .option('--labels <list>', 'labels to migrate, comma-separated, in order (default: all)', listArg)
    .option('--key <property>', "key property of every label not named in --keys (default: each label's uniqueness constraint, else its element id)")
    .option('--keys <pairs>', 'key per label: Label=property[,Label=a+b for a composite key] (mapping.keys)', keysArg)
    .addOption(new Option('--target <kind>', 'where memories go (default bundle)').choices(['bundle', 'engram']))
    .option('--bundle <dir>', 'bundle directory for the bundle target (default ./bundle)')
    .option('--engram-url <url>', 'Engram HTTP URL [env ENGRAM_URL] (default http://127.0.0.1:7432)')
    .option(
      '--engram-api-key <key>',
      'Engram API key (engram_key_<id>_<secret>) [env ENGRAM_API_KEY]; visible to ps: prefer the environment or --engram-api-key-file',
    )
    .option('--engram-api-key-file <file>', 'file holding the Engram API key [env ENGRAM_API_KEY_FILE]')
    .option('--run-dir <dir>', 'where checkpoints, the reject log, the edge sidecar and reports go (default .runs/backfill)')
    .option('--model <path>', 'embedding model folder in transformers.js layout (default ./models/tiny)')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'no progress output');
}

/** Flags of commands that write (backfill, load, tune). */
export function addWriteOptions(cmd: Command): Command {
  return cmd
    .option('--batch-size <n>', 'nodes per batch (default 10000)', integerArg)
    .option('--pause-ms <ms>', 'pause between batches (default 100, as in the article)', integerArg)
    .option('--rate <n>', 'records per second written to the target, 0 = unlimited (default 0); change it live with the control file', numberArg)
    .option('--concurrency <n>', 'concurrent requests to Engram (default 16)', integerArg)
    .option('--workers <n>', 'worker threads, 0 = one per core (default 0)', integerArg)
    .option('--no-edges', 'migrate nodes only, not relationships')
    .option('--inference-threads <n>', 'ONNX Runtime threads per worker, 0 = fit the cores (default 0)', integerArg)
    .addOption(new Option('--on-overflow <mode>', 'when a space would exceed the target capacity').choices(['refuse', 'warn']));
}

type Flags = Record<string, unknown>;

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A secret from its flag or its file flag (never both). */
function secretFlag(f: Flags, flag: 'neo4jPassword' | 'engramApiKey', name: string): string | undefined {
  const file = f[`${flag}File`] as string | undefined;
  if (file === undefined) return f[flag] as string | undefined;
  if (f[flag] !== undefined) throw new ConfigError(`--${name}`, `give either --${name} or --${name}-file, not both`);
  return readSecretFile(file, `--${name}-file`);
}

/** Secrets given as plain flags: every user of the machine can read them with ps or in /proc. */
export function argvSecretWarnings(f: Flags): string[] {
  const hints: Array<[keyof Flags, string, string]> = [
    ['neo4jPassword', '--neo4j-password', 'NEO4J_PASSWORD, NEO4J_PASSWORD_FILE or --neo4j-password-file'],
    ['engramApiKey', '--engram-api-key', 'ENGRAM_API_KEY, ENGRAM_API_KEY_FILE or --engram-api-key-file'],
  ];
  return hints
    .filter(([key]) => f[key] !== undefined)
    .map(([, flag, instead]) => `${flag} puts a secret on the command line, where other users can read it (ps, /proc); use ${instead}`);
}

/** Maps parsed flags onto the config's shape (only flags that were given). */
export function optionsFromFlags(f: Flags): PartialOptions {
  return {
    source: defined({
      uri: f.neo4jUri,
      user: f.neo4jUser,
      password: secretFlag(f, 'neo4jPassword', 'neo4j-password'),
      database: f.database,
      labels: f.labels,
      readers: f.readers,
    }) as never,
    target: defined({
      kind: f.target,
      path: f.bundle,
      url: f.engramUrl,
      apiKey: secretFlag(f, 'engramApiKey', 'engram-api-key'),
      concurrency: f.concurrency,
      onOverflow: f.onOverflow,
      onDedup: f.onDedup,
    }) as never,
    engine: defined({
      batchSize: f.batchSize,
      pauseMs: f.pauseMs,
      rate: f.rate,
      workers: f.workers,
      inferenceThreads: f.inferenceThreads,
      edges: f.edges === false ? false : undefined,
      liveStampProperty: f.liveStampProperty === 'none' ? null : f.liveStampProperty,
    }) as never,
    mapping: defined({ key: f.key, keys: f.keys }) as never,
    model: defined({ path: f.model }) as never,
    validate: defined({ sampleSize: f.sample, seed: f.seed }) as never,
    ...(f.runDir !== undefined ? { runDir: f.runDir as string } : {}),
  };
}

/**
 * Config file < environment < flags, validated. Risky settings (secrets on the command line, an API
 * key over plain http) are reported through `warn` (default: stderr).
 */
export function configFromFlags(
  f: Flags,
  extra: PartialOptions = {},
  warn: (message: string) => void = (m) => void process.stderr.write(`engram-migrate: warning: ${m}\n`),
): ResolvedConfig {
  const flags = optionsFromFlags(f);
  const merged: PartialOptions = { ...flags };
  for (const [k, v] of Object.entries(extra)) (merged as Record<string, unknown>)[k] = { ...((flags as Record<string, object>)[k] ?? {}), ...(v as object) };
  const config = resolveLayeredConfig({ file: f.config as string | undefined, flags: merged });
  for (const message of [...argvSecretWarnings(f), ...configWarnings(config)]) warn(message);
  return config;
}
