import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../../src/cli/common-options.js';
import { configWarnings } from '../../../src/config/config-warnings.js';
import { optionsFromEnvironment, resolveConfig, resolveLayeredConfig } from '../../../src/config/resolve-config.js';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'em-secret-')), name);
  writeFileSync(path, text);
  return path;
}

describe('secrets from files', () => {
  it('NEO4J_PASSWORD_FILE and ENGRAM_API_KEY_FILE are read (one trailing newline dropped)', () => {
    const options = optionsFromEnvironment({ NEO4J_PASSWORD_FILE: file('pw', 'hunter2\n'), ENGRAM_API_KEY_FILE: file('key', 'engram_key_k_s') });
    expect(options).toEqual({ source: { password: 'hunter2' }, target: { apiKey: 'engram_key_k_s' } });
  });

  it('refuses a variable and its _FILE twin together, and names an unreadable file without its content', () => {
    expect(() => optionsFromEnvironment({ NEO4J_PASSWORD: 'a', NEO4J_PASSWORD_FILE: file('pw', 'b') })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', path: 'NEO4J_PASSWORD_FILE' }),
    );
    expect(() => optionsFromEnvironment({ ENGRAM_API_KEY_FILE: '/nonexistent/key' })).toThrow(
      /ENGRAM_API_KEY_FILE: cannot read the secret file \/nonexistent\/key: ENOENT/,
    );
  });

  it('--neo4j-password-file and --engram-api-key-file set the secrets without a warning', () => {
    const warnings: string[] = [];
    const config = configFromFlags({ neo4jPasswordFile: file('pw', 'hunter2\n'), engramApiKeyFile: file('key', 'engram_key_k_s\n') }, {}, (m) =>
      warnings.push(m),
    );
    expect([config.source.password, config.target.apiKey]).toEqual(['hunter2', 'engram_key_k_s']);
    expect(warnings).toEqual([]);
  });

  it('warns when a secret is given on the command line, without repeating it', () => {
    const warnings: string[] = [];
    const config = configFromFlags({ neo4jPassword: 'hunter2', engramApiKey: 'engram_key_k_s' }, {}, (m) => warnings.push(m));
    expect(config.source.password).toBe('hunter2');
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/--neo4j-password puts a secret on the command line[\s\S]*--engram-api-key puts a secret/);
    expect(warnings.join('\n')).not.toMatch(/hunter2|engram_key_k_s/);
  });
});

describe('config files with a secret on a broken line', () => {
  it.each([
    ['c.yaml', 'source:\n  password: "hunter2\n  user: x\n', /not valid YAML at line \d+, column \d+/],
    ['c.json', '{"source": {"password": "hunter2" "user": "x"}}', /not valid JSON at line 1, column \d+/],
  ])('%s: the error says where, not what the line holds', (name, text, where) => {
    const path = file(name, text);
    let message = '';
    try {
      resolveLayeredConfig({ file: path, env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(where);
    expect(message).not.toContain('hunter2');
  });
});

describe('API key over plain http', () => {
  it.each([
    ['http://engram.prod:7432', 1],
    ['https://engram.prod:7432', 0],
    ['http://127.0.0.1:7432', 0],
    ['http://localhost:7432', 0],
    ['http://[::1]:7432', 0],
  ])('%s → %i warning(s)', (url, n) => {
    expect(configWarnings(resolveConfig({ target: { url, apiKey: 'engram_key_k_s' } }))).toHaveLength(n);
  });

  it('no key, no warning', () => {
    expect(configWarnings(resolveConfig({ target: { url: 'http://engram.prod:7432' } }))).toEqual([]);
  });
});
