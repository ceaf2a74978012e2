import { ConfigError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `500ms`, `30s`, `10m`, `1h`, `1d` or a combination (`1h30m`) into
 * milliseconds. `option` names the flag in the error.
 */
export function parseDuration(text: string, option = 'duration'): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== trimmed) {
    throw new ConfigError(option, `expected a duration such as 30s, 10m, 1h or 1h30m, got ${JSON.stringify(text)}`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
  if (ms <= 0) throw new ConfigError(option, `must be longer than 0, got ${JSON.stringify(text)}`);
  return ms;
}
