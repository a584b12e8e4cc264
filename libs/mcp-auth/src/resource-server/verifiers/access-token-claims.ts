import { resourceMatches } from '../../oauth/resource-uri';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import type { VerifiedAccessToken } from '../access-token-verifier.interface';

/** `aud` as a list; anything that is not a string is dropped. */
export function audienceOf(aud: unknown): string[] {
  const values = Array.isArray(aud) ? (aud as unknown[]) : [aud];
  return values.filter((value): value is string => typeof value === 'string');
}

/**
 * RS-7 / RS-10: the token must name this resource. Scheme and host compare
 * case-insensitively, the path exactly (the project's one resource-URI rule).
 */
export function assertAudience(audience: readonly string[], resource: string): void {
  if (!audience.some((value) => resourceMatches(value, resource))) {
    throw new InvalidAccessTokenError('audience not accepted');
  }
}

/**
 * Granted scopes: the space-separated `scope` (RFC 9068, RFC 7662), or `scp`, which several
 * identity providers use instead (a list or a string).
 */
export function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const raw = claims.scope ?? claims.scp;
  const values = Array.isArray(raw)
    ? (raw as unknown[])
    : typeof raw === 'string'
      ? raw.split(' ')
      : [];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}

/** RFC 9068 `client_id`; `azp` is the OIDC spelling some identity providers use instead. */
export function clientIdOf(claims: Readonly<Record<string, unknown>>): string | undefined {
  for (const name of ['client_id', 'azp']) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** RS-6: a last expiry check that does not depend on how the verifier did its own. */
export function assertNotExpired(expiresAt: number | undefined, clockTolerance: number): void {
  if (expiresAt !== undefined && expiresAt + clockTolerance <= Date.now() / 1000) {
    throw new InvalidAccessTokenError('token expired');
  }
}

/** Builds the normalized token from already-verified claims. */
export function toVerifiedAccessToken(
  token: string,
  claims: Readonly<Record<string, unknown>>,
  resource: string,
): VerifiedAccessToken {
  const clientId = clientIdOf(claims);
  if (clientId === undefined) throw new InvalidAccessTokenError('missing client_id');
  const { iss, sub, exp, jti } = claims;
  if (typeof iss !== 'string') throw new InvalidAccessTokenError('missing iss');
  return {
    token,
    issuer: iss,
    clientId,
    subject: typeof sub === 'string' && sub !== '' ? sub : undefined,
    scopes: scopesOf(claims),
    expiresAt: typeof exp === 'number' ? exp : undefined,
    audience: audienceOf(claims.aud),
    resource,
    jti: typeof jti === 'string' ? jti : undefined,
    claims,
  };
}
