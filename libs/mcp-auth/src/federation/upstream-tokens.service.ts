import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { McpAuthAudit } from '../audit/audit.service';
import { McpAuthConfig } from '../mcp-auth.config';
import { type GrantStore, InjectGrantStore } from '../storage/grant-store.interface';
import {
  InjectUpstreamTokenStore,
  type UpstreamTokenStore,
} from '../storage/upstream-token-store.interface';
import { UpstreamProviders } from './upstream-providers';
import { UpstreamTokenSealing } from './upstream-token-sealing';
import { UpstreamRefusedError, type UpstreamTokenSet } from './upstream-provider';

/** Refresh this long before the upstream access token expires. */
const REFRESH_MARGIN_SECONDS = 60;
/** Revoked grants whose upstream tokens one sweep revokes and drops. */
const SWEEP_BATCH = 100;

/** An upstream access token for a tool to call the provider's API with. */
export interface UpstreamAccessToken {
  provider: string;
  accessToken: string;
  /** Seconds since the epoch; null when the provider did not say. */
  expiresAt: number | null;
  scope: string | null;
}

/** No upstream token can be had for this caller; the message says why. */
export class UpstreamTokenUnavailableError extends Error {
  override readonly name = 'UpstreamTokenUnavailableError';
  constructor(
    readonly reason: 'not_kept' | 'grant_revoked' | 'upstream_revoked' | 'expired' | 'unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Anything naming our grant: the grant id, the request's `auth`, or a token's claims. */
export type GrantReference = string | { extra?: Record<string, unknown> } | { gid?: unknown };

/**
 * Upstream tokens on the server side only (no token passthrough): tools ask for a fresh
 * upstream access token of the caller's grant; it is refreshed upstream when it is about to
 * expire (one refresh per grant at a time, across instances). When the provider refuses the
 * refresh (`invalid_grant`), our grant is revoked, which every instance's deny-list feels.
 * Tokens of a revoked grant are revoked upstream (RFC 7009, where offered) and dropped.
 * @publicApi
 */
@Injectable()
export class UpstreamTokens implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('McpAuthUpstreamTokens');
  private readonly sealing: UpstreamTokenSealing | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  /** @internal */
  constructor(
    private readonly config: McpAuthConfig,
    private readonly providers: UpstreamProviders,
    @InjectUpstreamTokenStore() private readonly store: UpstreamTokenStore,
    @InjectGrantStore() private readonly grants: GrantStore,
    private readonly audit: McpAuthAudit,
  ) {
    const keys = config.federation.tokenEncryptionKeys;
    this.sealing = keys?.length ? new UpstreamTokenSealing(keys) : undefined;
  }

  onModuleInit(): void {
    if (!this.sealing || this.config.cleanupInterval <= 0) return;
    this.sweeper = setInterval(() => {
      void this.sweep().catch((error: unknown) =>
        this.logger.warn(`upstream token sweep failed: ${(error as Error).message}`),
      );
    }, this.config.cleanupInterval * 1000);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Seals and stores the tokens of a new grant (at federated sign-in). */
  async keep(grantId: string, provider: string, tokens: UpstreamTokenSet): Promise<void> {
    if (!this.sealing) throw new Error('mcp-auth: keepTokens needs federation.tokenEncryptionKeys');
    await this.store.save(grantId, provider, await this.sealing.seal(tokens));
  }

  /**
   * A fresh upstream access token for the caller's grant.
   * @throws UpstreamTokenUnavailableError
   */
  async getAccessToken(reference: GrantReference): Promise<UpstreamAccessToken> {
    const grantId = grantIdOf(reference);
    const sealing = this.sealing;
    const kept = grantId && sealing ? await this.store.find(grantId) : null;
    if (!grantId || !sealing || !kept) {
      throw new UpstreamTokenUnavailableError(
        'not_kept',
        'No upstream tokens are kept for this grant.',
      );
    }
    if (kept.grantRevoked) {
      await this.drop(kept.grantId, kept.provider, kept.sealed);
      throw new UpstreamTokenUnavailableError('grant_revoked', 'The grant has been revoked.');
    }
    let tokens = await this.open(sealing, kept.sealed);
    if (needsRefresh(tokens) || sealing.isStale(kept.sealed)) {
      tokens = await this.refresh(grantId, kept.provider);
    }
    if (isExpired(tokens)) {
      // Nothing to refresh with (the provider gave no refresh token): the user must sign in again.
      throw new UpstreamTokenUnavailableError(
        'expired',
        'The upstream access token has expired and cannot be refreshed.',
      );
    }
    return {
      provider: kept.provider,
      accessToken: tokens.accessToken,
      expiresAt: tokens.expiresAt,
      scope: tokens.scope,
    };
  }

  private async open(sealing: UpstreamTokenSealing, sealed: string): Promise<UpstreamTokenSet> {
    try {
      return await sealing.open(sealed);
    } catch (error) {
      throw new UpstreamTokenUnavailableError(
        'unavailable',
        'The kept upstream tokens cannot be read (their key is no longer configured?).',
        { cause: error },
      );
    }
  }

  /** Refreshes under the row lock; a concurrent caller finds the refreshed tokens instead. */
  private async refresh(grantId: string, providerId: string): Promise<UpstreamTokenSet> {
    const sealing = this.sealing as UpstreamTokenSealing;
    const provider = this.providers.get(providerId);
    let result = undefined as UpstreamTokenSet | undefined;
    let refused: unknown;
    await this.store.update(grantId, async (current) => {
      const tokens = await sealing.open(current.sealed);
      if (!needsRefresh(tokens)) {
        result = tokens;
        // Re-sealed with the newest key when an older one sealed it (key rotation).
        return sealing.isStale(current.sealed) ? sealing.seal(tokens) : null;
      }
      if (!tokens.refreshToken || !provider) {
        result = tokens;
        return null;
      }
      try {
        result = await provider.refresh(tokens.refreshToken);
        return sealing.seal(result);
      } catch (error) {
        refused = error;
        return null;
      }
    });
    if (refused instanceof UpstreamRefusedError && refused.error === 'invalid_grant') {
      // The provider ended the user's session: ours ends with it, on every instance.
      await this.grants.revokeGrant(grantId, 'upstream_revoked');
      this.audit.emit({
        type: 'grant.revoked',
        grant_id: grantId,
        reason: 'upstream_revoked',
        actor: 'upstream',
        provider: providerId,
      });
      await this.store.delete(grantId);
      throw new UpstreamTokenUnavailableError(
        'upstream_revoked',
        `${providerId} refused to refresh; the grant has been revoked.`,
        { cause: refused },
      );
    }
    if (refused) {
      throw new UpstreamTokenUnavailableError(
        'unavailable',
        `${providerId} could not refresh the tokens now.`,
        { cause: refused },
      );
    }
    if (!result) {
      throw new UpstreamTokenUnavailableError('not_kept', 'No upstream tokens are kept.');
    }
    return result;
  }

  /** Revokes upstream (best effort) and drops the tokens of revoked grants. */
  async sweep(): Promise<number> {
    const revoked = await this.store.listOfRevokedGrants(SWEEP_BATCH);
    for (const record of revoked) await this.drop(record.grantId, record.provider, record.sealed);
    return revoked.length;
  }

  private async drop(grantId: string, providerId: string, sealed: string): Promise<void> {
    if (!(await this.store.delete(grantId))) return;
    const provider = this.providers.get(providerId);
    if (!provider || !this.sealing) return;
    try {
      const tokens = await this.sealing.open(sealed);
      await provider.revoke(tokens.refreshToken ?? tokens.accessToken);
    } catch (error) {
      this.logger.warn(`${providerId}: upstream revocation failed: ${(error as Error).message}`);
    }
  }
}

function isExpired(tokens: UpstreamTokenSet): boolean {
  return tokens.expiresAt !== null && tokens.expiresAt <= Math.floor(Date.now() / 1000);
}

function needsRefresh(tokens: UpstreamTokenSet): boolean {
  return (
    tokens.expiresAt !== null &&
    tokens.expiresAt - REFRESH_MARGIN_SECONDS <= Math.floor(Date.now() / 1000)
  );
}

function grantIdOf(reference: GrantReference): string | undefined {
  if (typeof reference === 'string') return reference;
  const claims = 'extra' in reference && reference.extra ? reference.extra : reference;
  const gid = (claims as { gid?: unknown }).gid;
  return typeof gid === 'string' ? gid : undefined;
}
