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

/** Outcome of {@link AuthorizationCodeStore.consume}. */
export type CodeConsumption =
  | { status: 'consumed'; code: AuthorizationCodeRecord }
  /** The code was redeemed before: the caller must revoke `grantId` (AS-19, RFC 6749 §4.1.2). */
  | { status: 'replayed'; grantId: string; clientId: string }
  | { status: 'expired' }
  | { status: 'not_found' };

/** @publicApi */
export interface AuthorizationCodeStore {
  create(code: NewAuthorizationCode): Promise<AuthorizationCodeRecord>;
  /**
   * Marks the code used in one atomic statement: among any number of concurrent callers
   * exactly one gets `consumed`; the others see `replayed`. Expiry uses the database clock.
   */
  consume(codeHash: string): Promise<CodeConsumption>;
}

export const AuthorizationCodeStore = Symbol('McpAuth:AuthorizationCodeStore');

/** @publicApi */
export const InjectAuthorizationCodeStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(AuthorizationCodeStore);
