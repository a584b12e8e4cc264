import { resolve } from 'node:path';
import type { AppConfig } from '../config/app-config';

/**
 * Where the sample keeps its data, safe to print: a PostgreSQL URL loses its password and its
 * query (which may carry one too); an embedded data directory is shown as an absolute path.
 */
export function describeDataLocation(
  config: Pick<AppConfig, 'databaseUrl' | 'embeddedDataDir'>,
): string {
  if (config.databaseUrl) return `PostgreSQL at ${withoutSecrets(config.databaseUrl)}`;
  if (config.embeddedDataDir.startsWith('memory://')) {
    return 'embedded PostgreSQL (PGlite) in memory: nothing is kept after the process ends';
  }
  return `embedded PostgreSQL (PGlite) in ${resolve(config.embeddedDataDir)}`;
}

function withoutSecrets(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return '(DATABASE_URL)';
  }
  const user = url.username ? `${url.username}@` : '';
  return `${url.protocol}//${user}${url.host}${url.pathname}`;
}
