import type { ResolvedConfig } from './config-schema.js';

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Settings that work but are risky; the CLI prints each as a warning. */
export function configWarnings(config: ResolvedConfig): string[] {
  const warnings: string[] = [];
  const url = URL.canParse(config.target.url) ? new URL(config.target.url) : null;
  if (config.target.apiKey && url?.protocol === 'http:' && !isLoopback(url.hostname)) {
    warnings.push(`the Engram API key goes over plain http to ${url.hostname}, readable by anyone on the path; use https (target.url)`);
  }
  return warnings;
}
