import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { McpAuthConfig } from '../mcp-auth.config';
import { MCP_AUTH_DATA_SOURCE } from '../mcp-auth.constants';
import { ExpiredRecordsPurger } from '../storage/typeorm/stores/expired-records.purger';
import { McpAuthTelemetry } from '../telemetry/mcp-auth-telemetry';

/**
 * Purges expired codes, pending authorizations, refresh tokens, keys and rate-limit counters
 * every `cleanupInterval` seconds. Every instance runs it; the purger is safe to run
 * concurrently.
 */
@Injectable()
export class ExpiredRecordsCleanup implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('McpAuthCleanup');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly purger: ExpiredRecordsPurger;

  constructor(
    @Inject(MCP_AUTH_DATA_SOURCE) dataSource: DataSource,
    private readonly config: McpAuthConfig,
    @Optional() private readonly telemetry: McpAuthTelemetry = McpAuthTelemetry.disabled,
  ) {
    this.purger = new ExpiredRecordsPurger(dataSource, config.storage);
  }

  onApplicationBootstrap(): void {
    if (this.config.cleanupInterval <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), this.config.cleanupInterval * 1000);
    // Never keep the process alive just for housekeeping.
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One purge; overlapping calls share the run in progress. */
  runOnce(): Promise<void> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    this.running ??= this.purger
      .purge({ grantRetention: this.config.accessTokenTtl + 3600 })
      .then((report) => {
        // `mcp_auth.cleanup.rows_deleted` by table, and the run's duration.
        this.telemetry.cleanupFinished(report, seconds());
        const total = Object.values(report).reduce((sum, n) => sum + n, 0);
        if (total) this.logger.log(`purged ${total} expired rows`);
      })
      .catch((error: unknown) => {
        this.telemetry.cleanupFailed(seconds());
        this.logger.warn(`clean-up failed: ${(error as Error).message}`);
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
