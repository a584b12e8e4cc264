import { Inject } from '@nestjs/common';

/** An issued authorization code, bound to everything the token request must match (AS-19). */
export interface AuthorizationCodeRecord {
  /** SHA-256 of the code; the code itself is never stored. */
  codeHash: string;
  grantId: string;
  clientId: string;
  subject: string;
  redirectUri: string;
  redirectUriProvided: boolean;
  scopes: string[];
  resource: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
}

export type NewAuthorizationCode = Omit<AuthorizationCodeRecord, 'createdAt' | 'consumedAt'>;

/**
 * What a token request claims about a code (AS-19). The code is consumed only if all of it
 * matches, so a refused redemption changes nothing.
 */
export interface CodeBinding {
  clientId: string;
  /** S256 challenge computed from the presented `code_verifier`. */
  codeChallenge: string;
  /** The request's redirect_uri; must be present when the authorization request had one. */
  redirectUri: string | undefined;
  /** Canonical resource the request names, if any. */
  resource: string | undefined;
  /**
   * `ClientRecord.version` of the authenticated client, if known: the code is consumed only if
   * the client row is still that version, else `client_changed` (nothing changed).
   */
  clientVersion?: string;
}

/**
 * The first refresh token of the grant, stored by `consume` in the same atomic step as the
 * code is marked used (with the code's client, scopes and resource), so a code exchange is
 * one database round trip.
 */
export interface FirstRefreshToken {
  /** SHA-256 of the token; the token itself is never stored. */
  tokenHash: string;
  expiresAt: Date;
}

/** Outcome of `AuthorizationCodeStore.consume`. */
export type CodeConsumption =
  | { status: 'consumed'; code: AuthorizationCodeRecord }
  /** Live code, but the request does not match what it is bound to; nothing was changed. */
  | { status: 'mismatch'; code: AuthorizationCodeRecord }
  /** The code was redeemed before: the caller must revoke `grantId` (AS-19, RFC 6749 §4.1.2). */
  | { status: 'replayed'; grantId: string; clientId: string }
  | { status: 'expired' }
  /** The client row is not the `binding.clientVersion` (changed or deleted); nothing changed. */
  | { status: 'client_changed' }
  | { status: 'not_found' };

/** @publicApi */
export interface AuthorizationCodeStore {
  create(code: NewAuthorizationCode): Promise<AuthorizationCodeRecord>;
  /**
   * Marks the code used in one atomic statement, if it matches `binding`: among any number of
   * concurrent matching callers exactly one gets `consumed`; the others see `replayed`. A
   * request that does not match gets `mismatch` and leaves the code as it was. Expiry uses the
   * database clock. With `refreshToken`, the winner's statement also stores that token under
   * the code's grant and stretches the grant to cover it; nobody else's stores anything.
   */
  consume(
    codeHash: string,
    binding: CodeBinding,
    refreshToken?: FirstRefreshToken,
  ): Promise<CodeConsumption>;
}

export const AuthorizationCodeStore = Symbol('McpAuth:AuthorizationCodeStore');

/** @publicApi */
export const InjectAuthorizationCodeStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(AuthorizationCodeStore);
