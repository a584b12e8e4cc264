import { Inject } from '@nestjs/common';

/** An upstream provider's tokens kept for one of our grants, sealed (encrypted) at rest. */
export interface UpstreamTokenRecord {
  grantId: string;
  /** The provider's id from the options. */
  provider: string;
  /** The token set, encrypted (see the federation options' `tokenEncryptionKeys`). */
  sealed: string;
  /** Our grant was revoked: the tokens must not be used, only revoked upstream and dropped. */
  grantRevoked: boolean;
  updatedAt: Date;
}

/** @publicApi */
export interface UpstreamTokenStore {
  /** Stores (or replaces) the tokens of a grant. */
  save(grantId: string, provider: string, sealed: string): Promise<void>;
  find(grantId: string): Promise<UpstreamTokenRecord | null>;
  /**
   * Runs `update` on the grant's tokens with the row locked, so that across instances one
   * upstream refresh per grant runs at a time; `update` returns the new sealed value, or null
   * to keep the current one. Null when there are no tokens for the grant.
   */
  update(
    grantId: string,
    update: (current: UpstreamTokenRecord) => Promise<string | null>,
  ): Promise<UpstreamTokenRecord | null>;
  delete(grantId: string): Promise<boolean>;
  /** Tokens whose grant has been revoked, oldest first, at most `limit`. */
  listOfRevokedGrants(limit: number): Promise<UpstreamTokenRecord[]>;
}

export const UpstreamTokenStore = Symbol('McpAuth:UpstreamTokenStore');

/** Injects the `UpstreamTokenStore`. @publicApi */
export const InjectUpstreamTokenStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(UpstreamTokenStore);
