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
}

/** Outcome of `AuthorizationCodeStore.consume`. */
export type CodeConsumption =
  | { status: 'consumed'; code: AuthorizationCodeRecord }
  /** Live code, but the request does not match what it is bound to; nothing was changed. */
  | { status: 'mismatch'; code: AuthorizationCodeRecord }
  /** The code was redeemed before: the caller must revoke `grantId` (AS-19, RFC 6749 §4.1.2). */
  | { status: 'replayed'; grantId: string; clientId: string }
  | { status: 'expired' }
  | { status: 'not_found' };

/** @publicApi */
export interface AuthorizationCodeStore {
  create(code: NewAuthorizationCode): Promise<AuthorizationCodeRecord>;
  /**
   * Marks the code used in one atomic statement, if it matches `binding`: among any number of
   * concurrent matching callers exactly one gets `consumed`; the others see `replayed`. A
   * request that does not match gets `mismatch` and leaves the code as it was. Expiry uses the
   * database clock.
   */
  consume(codeHash: string, binding: CodeBinding): Promise<CodeConsumption>;
}

export const AuthorizationCodeStore = Symbol('McpAuth:AuthorizationCodeStore');

/** @publicApi */
export const InjectAuthorizationCodeStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(AuthorizationCodeStore);
