import { Logger } from '@nestjs/common';
import type { Client, ClientConfig, Notification, Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { REVOCATION_CHANNEL } from '../../storage/grant-store.interface';
import type { RevocationNotificationSource } from './revocation-list';

/** What this listener needs of TypeORM's Postgres driver (`dataSource.driver`). */
interface PostgresDriverLike {
  master?: Pool & { options?: ClientConfig & { connection?: unknown }; Client?: ClientClass };
  postgres?: { Client: ClientClass };
}

type ClientClass = new (config: ClientConfig) => Client;

type Handlers = Parameters<RevocationNotificationSource['start']>[0];

const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * LISTENs on the grant store's revocation channel.
 *
 * On a real Postgres it opens one dedicated connection with the pool's settings, outside the
 * pool (a pooled client would hold a pool slot forever, or lose its LISTEN when recycled), and
 * reconnects with backoff; every reconnect reports a gap so the list catches up.
 *
 * With an in-process database (PGlite through its node-postgres adapter) every client shares
 * one session, and only this process can write to it: the LISTEN is issued once through the
 * pool, and every pooled client, present and future, forwards its notifications.
 */
export class PostgresRevocationListener implements RevocationNotificationSource {
  private readonly logger = new Logger('McpAuthRevocationListener');
  private handlers: Handlers | undefined;
  private client: Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 1000;
  private stopped = false;
  private sharedPool: Pool | undefined;
  private readonly sharedClients = new Set<PoolClient>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly channel: string = REVOCATION_CHANNEL,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  }

  async start(handlers: Handlers): Promise<boolean> {
    this.handlers = handlers;
    this.stopped = false;
    const driver = this.dataSource.driver as unknown as PostgresDriverLike;
    const pool = driver.master;
    if (this.dataSource.options.type !== 'postgres' || !pool) return false;
    if (isInProcess(pool)) {
      await this.listenThroughPool(pool);
    } else {
      const ClientCtor = pool.Client ?? driver.postgres?.Client;
      if (!ClientCtor) return false;
      await this.connect(ClientCtor, pool.options ?? {});
    }
    return true;
  }

  /** A dedicated LISTEN connection is open, or the shared in-process one is in use. */
  get connected(): boolean {
    return !this.stopped && (this.client !== undefined || this.sharedPool !== undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
    if (this.sharedPool) {
      this.sharedPool.off('connect', this.forward);
      for (const shared of this.sharedClients) shared.off('notification', this.onNotification);
      this.sharedClients.clear();
      this.sharedPool = undefined;
      if (this.dataSource.isInitialized) {
        await this.dataSource.query(`UNLISTEN ${this.channel}`).catch(() => undefined);
      }
    }
  }

  private readonly onNotification = (message: Notification): void => {
    if (message.channel === this.channel && message.payload) {
      this.handlers?.onNotification(message.payload);
    }
  };

  private readonly forward = (client: PoolClient): void => {
    if (this.sharedClients.has(client)) return;
    this.sharedClients.add(client);
    client.on('notification', this.onNotification);
  };

  private async listenThroughPool(pool: Pool): Promise<void> {
    this.sharedPool = pool;
    pool.on('connect', this.forward);
    const client = await pool.connect();
    try {
      this.forward(client);
      await client.query(`LISTEN ${this.channel}`);
    } finally {
      client.release();
    }
  }

  private async connect(ClientCtor: ClientClass, config: ClientConfig): Promise<void> {
    const client = new ClientCtor({ ...config, application_name: 'mcp-auth revocations' });
    client.on('notification', this.onNotification);
    client.on('error', (error) => {
      this.logger.warn(`LISTEN connection failed: ${error.message}`);
      void client.end().catch(() => undefined);
    });
    client.on('end', () => this.scheduleReconnect(ClientCtor, config));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelayMs = 1000;
  }

  private scheduleReconnect(ClientCtor: ClientClass, config: ClientConfig): void {
    this.client = undefined;
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      // The application shut its DataSource down without stopping us (e.g. a failed boot).
      if (this.stopped || !this.dataSource.isInitialized) {
        this.stopped = true;
        return;
      }
      this.connect(ClientCtor, config).then(
        // Notifications sent while disconnected are lost: catch up by polling now.
        () => this.handlers?.onGap(),
        (error: unknown) => {
          this.logger.warn(`LISTEN reconnect failed: ${(error as Error).message}`);
          this.scheduleReconnect(ClientCtor, config);
        },
      );
    }, delay);
    this.reconnectTimer.unref();
  }
}

/** PGlite's adapter hands the pool one shared in-process `connection` object. */
function isInProcess(pool: PostgresDriverLike['master']): boolean {
  const connection = pool?.options?.connection;
  return typeof connection === 'object' && connection !== null;
}
