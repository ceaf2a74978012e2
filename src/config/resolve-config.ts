import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type MigrateOptions, type ResolvedConfig } from './config-schema.js';
import { checkTlsFiles } from './tls-options.js';

/** Deeply partial options, as a config file, the environment or flags give them. */
export type PartialOptions = { [K in keyof MigrateOptions]?: Partial<NonNullable<MigrateOptions[K]>> | MigrateOptions[K] };

/** Environment variables that override the config file (flags override them in turn). */
export const ENVIRONMENT_VARIABLES = {
  NEO4J_URI: 'source.uri',
  NEO4J_USER: 'source.user',
  NEO4J_PASSWORD: 'source.password',
  NEO4J_DATABASE: 'source.database',
  ENGRAM_URL: 'target.url',
  ENGRAM_API_KEY: 'target.apiKey',
  EMBEDDINGS_API_KEY: 'model.apiKey',
} as const;

/** Environment variables naming a file that holds a secret (kept off the command line and out of `ps`). */
export const SECRET_FILE_VARIABLES = {
  NEO4J_PASSWORD_FILE: 'source.password',
  ENGRAM_API_KEY_FILE: 'target.apiKey',
  EMBEDDINGS_API_KEY_FILE: 'model.apiKey',
} as const;

/**
 * Reads a secret from a file (one trailing newline dropped). Errors name the option and the file,
 * never the content.
 */
export function readSecretFile(path: string, option: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(option, `cannot read the secret file ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new ConfigError(option, `the secret file ${path} is empty`);
  return secret;
}

/**
 * Where a parse error is, without its message: YAML and V8 JSON messages quote the offending line,
 * which may hold a password or an API key.
 */
function parseErrorPosition(cause: unknown, text: string): string {
  const linePos = (cause as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
  if (linePos) return ` at line ${linePos.line}, column ${linePos.col}${(cause as { code?: string }).code ? ` (${(cause as { code: string }).code})` : ''}`;
  const position = /position (\d+)/.exec((cause as Error).message ?? '')?.[1];
  if (position === undefined) return '';
  const before = text.slice(0, Number(position)).split('\n');
  return ` at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** Reads a JSON or YAML config file. Errors name the file and what is wrong with it (not the line's text). */
export function loadConfigFile(path: string): PartialOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('', `cannot read config file ${path}: ${(cause as Error).message}`, { cause });
  }
  let value: unknown;
  try {
    value = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new ConfigError('', `config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}${parseErrorPosition(cause, text)}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('', `config file ${path} must hold an object at the top level`);
  }
  return value as PartialOptions;
}

/** Options taken from the environment variables in {@link ENVIRONMENT_VARIABLES}. */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): PartialOptions {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, path] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const [section, key] = path.split('.') as [string, string];
    (out[section] ??= {})[key] = value;
  }
  for (const [name, path] of Object.entries(SECRET_FILE_VARIABLES)) {
    const file = env[name];
    if (file === undefined || file === '') continue;
    const direct = Object.entries(ENVIRONMENT_VARIABLES).find(([, p]) => p === path)![0];
    if (env[direct]) throw new ConfigError(name, `set either ${direct} or ${name}, not both`);
    const [section, key] = path.split('.') as [string, string];
    (out[section] ??= {})[key] = readSecretFile(file, name);
  }
  return out as PartialOptions;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges layers left to right; later layers win; objects merge, everything else replaces. */
export function mergeOptions(...layers: Array<PartialOptions | undefined>): PartialOptions {
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
      if (v === undefined) continue;
      out[k] = isPlainObject(v) && isPlainObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
    }
    return out;
  };
  return layers.reduce<Record<string, unknown>>((acc, layer) => (layer ? merge(acc, layer as Record<string, unknown>) : acc), {}) as PartialOptions;
}

function describeIssue(issue: z.core.$ZodIssue): ConfigError {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = path ? `${path}.` : '';
    return new ConfigError(`${where}${issue.keys[0]}`, `unknown option (known options are listed in the README's configuration section)`);
  }
  return new ConfigError(path, issue.message);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Turns layered options into a frozen, fully defaulted config. Nothing is coerced silently: a bad value
 * fails with a {@link ConfigError} whose `path` names the option; all problems are listed in `details.issues`.
 */
export function resolveConfig(options: PartialOptions = {}): ResolvedConfig {
  const result = configSchema.safeParse(options);
  if (!result.success) {
    const errors = result.error.issues.map(describeIssue);
    const first = errors[0]!;
    const message =
      errors.length === 1
        ? first.message
        : `${first.message} (and ${errors.length - 1} more: ${errors
            .slice(1)
            .map((e) => e.message)
            .join('; ')})`;
    throw new ConfigError(first.path, message.slice(first.path ? first.path.length + 2 : 0), {
      details: { issues: errors.map((e) => ({ path: e.path, message: e.message })) },
    });
  }
  checkTlsFiles(result.data);
  // The live writer's stamp is bookkeeping, not data: never part of a memory's content.
  const { engine, mapping } = result.data;
  if (engine.liveStampProperty !== null && !mapping.excludeProperties.includes(engine.liveStampProperty))
    mapping.excludeProperties.push(engine.liveStampProperty);
  return deepFreeze(result.data);
}

/** Config file (optional) < environment < flags. */
export function resolveLayeredConfig(args: { file?: string | undefined; env?: NodeJS.ProcessEnv; flags?: PartialOptions }): ResolvedConfig {
  const fileOptions = args.file ? loadConfigFile(args.file) : {};
  return resolveConfig(mergeOptions(fileOptions, optionsFromEnvironment(args.env ?? process.env), args.flags));
}
