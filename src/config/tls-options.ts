import { accessSync, constants } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { ResolvedConfig } from './config-schema.js';

/** Every TLS file the config names must be readable; the error names the option and the file. */
export function checkTlsFiles(config: Pick<ResolvedConfig, 'source' | 'target'>): void {
  const files: Array<[string, string | undefined]> = [
    ...(config.source.trustedCertificates ?? []).map((f, i): [string, string] => [`source.trustedCertificates.${i}`, f]),
    ['target.ca', config.target.ca],
    ['target.cert', config.target.cert],
    ['target.key', config.target.key],
  ];
  for (const [path, file] of files) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (cause) {
      throw new ConfigError(path, `cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
}

/** The neo4j-driver config fragment for the source's TLS options (spread into `neo4j.driver`'s config). */
export function boltTlsConfig(source: ResolvedConfig['source']): {
  encrypted?: 'ENCRYPTION_ON' | 'ENCRYPTION_OFF';
  trust?: 'TRUST_CUSTOM_CA_SIGNED_CERTIFICATES';
  trustedCertificates?: string[];
} {
  if (source.trustedCertificates)
    return { encrypted: 'ENCRYPTION_ON', trust: 'TRUST_CUSTOM_CA_SIGNED_CERTIFICATES', trustedCertificates: [...source.trustedCertificates] };
  if (source.encrypted !== undefined) return { encrypted: source.encrypted ? 'ENCRYPTION_ON' : 'ENCRYPTION_OFF' };
  return {};
}
