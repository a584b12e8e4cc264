import type { JWTPayload } from 'jose';
import type { AccessTokenClaims } from './access-token-claims.interface';
import { InvalidAccessTokenError } from './invalid-access-token.error';

/** Checks the claim types a verified payload must have and adds the parsed `scopes`. */
export function toAccessTokenClaims(payload: JWTPayload): AccessTokenClaims {
  const { iss, sub, aud, iat, exp, jti } = payload;
  const { client_id: clientId, scope, gid } = payload;
  if (
    typeof iss !== 'string' ||
    typeof sub !== 'string' ||
    sub === '' ||
    (typeof aud !== 'string' && !Array.isArray(aud)) ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    typeof jti !== 'string' ||
    typeof clientId !== 'string' ||
    (scope !== undefined && typeof scope !== 'string') ||
    (gid !== undefined && typeof gid !== 'string')
  ) {
    throw new InvalidAccessTokenError('malformed claims');
  }
  const scopeString = scope ?? '';
  return {
    ...payload,
    iss,
    sub,
    aud,
    client_id: clientId,
    scope: scopeString,
    scopes: scopeString.split(' ').filter((value) => value !== ''),
    iat,
    exp,
    jti,
    ...(gid !== undefined ? { gid } : {}),
  };
}

/** A copy the caller may change without touching the remembered entry. */
export function copyClaims(claims: AccessTokenClaims): AccessTokenClaims {
  return {
    ...claims,
    aud: Array.isArray(claims.aud) ? [...claims.aud] : claims.aud,
    scopes: [...claims.scopes],
  };
}

/** Frozen so that one object can be shared by every request carrying the token. */
export function freezeClaims(claims: AccessTokenClaims): AccessTokenClaims {
  if (Array.isArray(claims.aud)) Object.freeze(claims.aud);
  Object.freeze(claims.scopes);
  return Object.freeze(claims);
}
