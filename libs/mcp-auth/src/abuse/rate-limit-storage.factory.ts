import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { DataSource } from 'typeorm';
import type { McpAuthConfig } from '../mcp-auth.config';
import { TypeOrmThrottlerStorage } from '../storage/typeorm/stores/typeorm-throttler.storage';
import type { ResolvedRateLimits } from './rate-limit.config';

/**
 * The counters' storage of one module instance: the `rateLimit.storage` option's, a per-process
 * one for `'memory'`, otherwise the module's database, which is what keeps N instances to one
 * budget without extra infrastructure.
 *
 * `dataSource` and `config` are absent when `rateLimitProviders` is used outside the module.
 */
export function createThrottlerStorage(
  resolved: ResolvedRateLimits,
  dataSource: DataSource | undefined,
  config: McpAuthConfig | undefined,
): ThrottlerStorage {
  if (resolved.storage !== undefined && resolved.storage !== 'memory') return resolved.storage;
  // Disabled limits never count; no reason to require a database for them.
  if (resolved.storage === 'memory' || !resolved.enabled) return new ThrottlerStorageService();
  if (!dataSource || !config) {
    throw new Error(
      'rateLimit.storage is required where the McpAuthModule database is not available ' +
        "(a shared ThrottlerStorage, or 'memory' for a single process)",
    );
  }
  return new TypeOrmThrottlerStorage(dataSource, config.issuer, config.storage);
}
