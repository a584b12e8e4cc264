import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { MCP_AUTH_DATA_SOURCE } from '../mcp-auth.constants';
import { RevocationList } from '../resource-server/revocation/revocation-list';
import { SigningKeyService } from '../tokens/signing-key.service';

const DATABASE_TIMEOUT_MS = 2_000;

/** One part of the health answer, as `@nestjs/terminus` reads it. */
export interface McpAuthHealthDetails {
  status: 'up' | 'down';
  database: 'up' | 'down';
  signingKey: 'present' | 'missing';
  /** `listening` (LISTEN/NOTIFY), `polling` (caught up by polling), or `stale`. */
  revocations: 'listening' | 'polling' | 'stale';
  /** Set when something is down: what, in words for an operator. */
  reason?: string;
}

/**
 * The module's health, in the shape of a `@nestjs/terminus` indicator result without needing
 * terminus: `health.check([() => mcpAuthHealth.check()])` reports 503 when the database does
 * not answer, no signing key is loaded, or the revocation deny-list has fallen behind (it could
 * then honour a revoked token).
 * @publicApi
 */
@Injectable()
export class McpAuthHealth {
  constructor(
    @Inject(MCP_AUTH_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly keys: SigningKeyService,
    private readonly revocations: RevocationList,
  ) {}

  async check(key = 'mcp-auth'): Promise<Record<string, McpAuthHealthDetails>> {
    const database = (await this.pingDatabase()) ? 'up' : 'down';
    const signingKey = this.hasSigningKey() ? 'present' : 'missing';
    const revocations = this.revocationState();
    const problems = [
      database === 'down' ? 'the database does not answer' : undefined,
      signingKey === 'missing' ? 'no signing key is loaded' : undefined,
      revocations === 'stale' ? 'the revocation deny-list has not caught up lately' : undefined,
    ].filter((problem): problem is string => problem !== undefined);
    return {
      [key]: {
        status: problems.length ? 'down' : 'up',
        database,
        signingKey,
        revocations,
        ...(problems.length ? { reason: problems.join('; ') } : {}),
      },
    };
  }

  private async pingDatabase(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), DATABASE_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private hasSigningKey(): boolean {
    try {
      this.keys.getSigningKey();
      return true;
    } catch {
      return false;
    }
  }

  /** Stale: no successful read within three poll intervals (it retries every interval). */
  private revocationState(): McpAuthHealthDetails['revocations'] {
    if (this.revocations.isListening) return 'listening';
    const synced = this.revocations.lastSyncedAt?.getTime() ?? 0;
    const limit = 3 * this.revocations.pollIntervalSeconds * 1000;
    return Date.now() - synced <= limit ? 'polling' : 'stale';
  }
}
