import { SUPPORTED_SIGNING_ALGORITHMS, type SigningAlgorithm } from '../oauth/signing-algorithms';

export type { SigningAlgorithm };

/** `tokens` module option: lifetimes and signing of the tokens the server issues. */
export interface TokenOptions {
  /** Access-token lifetime in seconds. Default 600. */
  accessTokenTtl?: number;
  /** Refresh-token lifetime in seconds (renewed at each rotation). Default 30 days. */
  refreshTokenTtl?: number;
  /** Authorization-code lifetime in seconds, at most 600. Default 60. */
  codeTtl?: number;
  /** JWS algorithm of access tokens. Default ES256. */
  algorithm?: SigningAlgorithm;
  /**
   * Seconds after a rotation during which presenting the old refresh token again is refused
   * (`invalid_grant`) without revoking the grant: a client that refreshes in parallel keeps
   * the pair the winning request received. After the window, reuse revokes the whole family.
   * 0 revokes at once, as node-oidc-provider does. Default 2.
   */
  refreshReuseGraceSeconds?: number;
  /**
   * Secret (32+ characters) that encrypts signing private keys at rest. Unset: they are
   * stored as JWK JSON, readable by anyone who can read the database.
   */
  keyEncryptionSecret?: string;
  /** Seconds after which the signing key is rotated automatically; 0 never. Default 0. */
  keyRotationInterval?: number;
}

const positive = (value: number | undefined): boolean =>
  value === undefined || (Number.isFinite(value) && value > 0);

/** Problems with a `tokens` option, worded like the module's other option errors. */
export function validateTokenOptions(options: TokenOptions | undefined): string[] {
  const problems: string[] = [];
  const tokens = options ?? {};
  for (const key of ['accessTokenTtl', 'refreshTokenTtl', 'codeTtl'] as const) {
    if (!positive(tokens[key])) problems.push(`tokens.${key} must be a positive number of seconds`);
  }
  if (tokens.codeTtl !== undefined && tokens.codeTtl > 600) {
    problems.push('tokens.codeTtl must be at most 600 seconds (AS-19: codes are short-lived)');
  }
  if (
    tokens.refreshReuseGraceSeconds !== undefined &&
    !(tokens.refreshReuseGraceSeconds >= 0 && tokens.refreshReuseGraceSeconds <= 60)
  ) {
    problems.push('tokens.refreshReuseGraceSeconds must be between 0 and 60');
  }
  if (tokens.keyEncryptionSecret !== undefined && tokens.keyEncryptionSecret.length < 32) {
    problems.push('tokens.keyEncryptionSecret must be at least 32 characters');
  }
  if (tokens.keyRotationInterval !== undefined && !(tokens.keyRotationInterval >= 0)) {
    problems.push('tokens.keyRotationInterval must be 0 (never) or a positive number of seconds');
  }
  if (tokens.algorithm !== undefined && !SUPPORTED_SIGNING_ALGORITHMS.includes(tokens.algorithm)) {
    problems.push(`tokens.algorithm must be one of ${SUPPORTED_SIGNING_ALGORITHMS.join(', ')}`);
  }
  return problems;
}
