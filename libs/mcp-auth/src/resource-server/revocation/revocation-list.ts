import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { GrantStore, RevocationEntry } from '../../storage/grant-store.interface';

/** Answers, from memory, whether a token's `jti` or grant has been revoked. */
export interface RevocationChecker {
  isRevoked(jti: string | undefined, grantId: string | undefined): boolean;
}

/** Pushes revocations as they happen (Postgres LISTEN/NOTIFY), on top of polling. */
export interface RevocationNotificationSource {
  /**
   * Starts delivering notification payloads. `onGap` is called whenever notifications may have
   * been missed (after a reconnect), so the list catches up at once. Resolves false when this
   * database cannot notify; polling alone then keeps the list current.
   */
  start(handlers: { onNotification(payload: string): void; onGap(): void }): Promise<boolean>;
  stop(): Promise<void>;
  /** Whether notifications can arrive right now (false while reconnecting). */
  readonly connected?: boolean;
}

export interface RevocationListOptions {
  /** Only this issuer's revocations count: several instances may share one database. */
  issuer: string;
  /** Seconds an entry is kept: the longest access-token lifetime plus clock tolerance. */
  retention: number;
  /** Seconds between catch-up polls. */
  pollInterval: number;
  /** Seconds each poll re-reads before the previous one (clock skew, late commits). Default 30. */
  overlap?: number;
  /**
   * Told of each revocation new to the list after the first load, with the seconds since it
   * was made (metrics: `mcp_auth.deny_list.lag`).
   */
  onArrival?: (lagSeconds: number) => void;
}

/**
 * The in-memory deny-list that lets tokens be verified locally yet die when revoked (design
 * "Known tensions"): revoked grant ids and `jti`s, loaded at start from the grant store, kept
 * current by LISTEN/NOTIFY and a catch-up poll, each entry forgotten once every token it could
 * refuse has expired. The request path only does map lookups: no database round trip.
 *
 * If the database stays unreachable the list keeps what it knows and logs: revocations made
 * meanwhile (by an instance that can reach the database) arrive when polling resumes.
 */
export class RevocationList implements RevocationChecker, OnModuleDestroy {
  private readonly logger = new Logger('McpAuthRevocationList');
  /** id → epoch ms after which the entry can no longer matter. */
  private readonly grants = new Map<string, number>();
  private readonly accessTokens = new Map<string, number>();
  private readonly retentionMs: number;
  private readonly overlapMs: number;
  private since: Date;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private listening = false;
  private failures = 0;
  private syncedAt: Date | undefined;
  /** Set after the first load: what it finds is old news, not a revocation arriving. */
  private loaded = false;

  constructor(
    private readonly store: Pick<GrantStore, 'listRevocationsSince'>,
    private readonly options: RevocationListOptions,
    private readonly notifications?: RevocationNotificationSource,
  ) {
    if (!(options.retention > 0) || !(options.pollInterval > 0)) {
      throw new Error('mcp-auth: RevocationList needs a positive retention and pollInterval');
    }
    this.retentionMs = options.retention * 1000;
    this.overlapMs = (options.overlap ?? 30) * 1000;
    this.since = new Date(Date.now() - this.retentionMs - this.overlapMs);
  }

  /** Whether LISTEN/NOTIFY is active right now (polling runs either way). */
  get isListening(): boolean {
    return this.listening && (this.notifications?.connected ?? true);
  }

  /** Seconds between catch-up reads. */
  get pollIntervalSeconds(): number {
    return this.options.pollInterval;
  }

  /** When the list last read every revocation from the store; undefined before the first read. */
  get lastSyncedAt(): Date | undefined {
    return this.syncedAt;
  }

  /** Number of entries held, for tests and metrics. */
  get size(): number {
    return this.grants.size + this.accessTokens.size;
  }

  /**
   * Loads recent revocations (fails if the database cannot be read: serving without them
   * would honour revoked tokens), then starts listening and polling.
   */
  async start(): Promise<void> {
    await this.poll({ rethrow: true });
    this.loaded = true;
    if (this.notifications) {
      try {
        this.listening = await this.notifications.start({
          onNotification: (payload) => this.onNotification(payload),
          onGap: () => void this.poll(),
        });
      } catch (error) {
        this.logger.warn(`LISTEN failed, polling only: ${describe(error)}`);
      }
    }
    this.timer = setInterval(() => void this.poll(), this.options.pollInterval * 1000);
    // Never keep the process alive for the deny-list alone.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listening = false;
    await this.notifications?.stop();
    await this.polling;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  isRevoked(jti: string | undefined, grantId: string | undefined): boolean {
    return (
      (jti !== undefined && this.holds(this.accessTokens, jti)) ||
      (grantId !== undefined && this.holds(this.grants, grantId))
    );
  }

  /** Records one revocation (from a notification, a poll, or the local AS directly). */
  add(kind: RevocationEntry['kind'], id: string, revokedAt: Date = new Date()): void {
    const map = kind === 'grant' ? this.grants : this.accessTokens;
    const forgetAt = revokedAt.getTime() + this.retentionMs;
    const now = Date.now();
    const known = map.get(id);
    if (forgetAt > now && (known ?? 0) < forgetAt) {
      map.set(id, forgetAt);
      if (known === undefined && this.loaded) {
        this.options.onArrival?.((now - revokedAt.getTime()) / 1000);
      }
    }
  }

  /** One catch-up read; concurrent calls share it. */
  poll(options: { rethrow?: boolean } = {}): Promise<void> {
    this.polling ??= this.readSince().finally(() => {
      this.polling = undefined;
    });
    return options.rethrow
      ? this.polling
      : this.polling.catch((error: unknown) => {
          this.failures += 1;
          // Once per streak, then every minute or so: a down database must not flood the log.
          if (this.failures === 1 || this.failures % 60 === 0) {
            this.logger.warn(`Reading revocations failed (${this.failures}x): ${describe(error)}`);
          }
        });
  }

  private async readSince(): Promise<void> {
    const startedAt = Date.now();
    const entries = await this.store.listRevocationsSince(this.since);
    for (const entry of entries) this.add(entry.kind, entry.id, entry.revokedAt);
    this.since = new Date(startedAt - this.overlapMs);
    this.syncedAt = new Date(startedAt);
    if (this.failures > 0) this.logger.log('Reading revocations works again');
    this.failures = 0;
    this.prune(startedAt);
  }

  private onNotification(payload: string): void {
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { issuer, kind, id, at } = message as Record<string, unknown>;
    if (issuer !== this.options.issuer || typeof id !== 'string') return;
    // `at`: when the database revoked it (epoch ms); it may be missing from older senders.
    const revokedAt = typeof at === 'number' && at <= Date.now() ? new Date(at) : new Date();
    if (kind === 'grant' || kind === 'access_token') this.add(kind, id, revokedAt);
  }

  private holds(map: Map<string, number>, id: string): boolean {
    const forgetAt = map.get(id);
    if (forgetAt === undefined) return false;
    if (forgetAt > Date.now()) return true;
    map.delete(id);
    return false;
  }

  private prune(now: number): void {
    for (const map of [this.grants, this.accessTokens]) {
      for (const [id, forgetAt] of map) if (forgetAt <= now) map.delete(id);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
