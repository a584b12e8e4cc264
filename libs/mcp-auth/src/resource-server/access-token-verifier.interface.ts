import { Inject } from '@nestjs/common';

/**
 * A verified access token, the same shape whichever verifier produced it. Handlers get it
 * from `@AccessToken()`; MCP tools see it as `extra.authInfo` (see `toAuthInfo`).
 * @publicApi
 */
export interface VerifiedAccessToken {
  /**
   * The token itself, because the MCP SDK's `AuthInfo` carries it. Never log it and never
   * forward it upstream (RS-10: token passthrough is forbidden).
   */
  readonly token: string;
  /** `iss`: the authorization server that issued it. */
  readonly issuer: string;
  readonly clientId: string;
  /** `sub`: the resource owner (or the client itself for client-credentials tokens). */
  readonly subject: string | undefined;
  readonly scopes: readonly string[];
  /** `exp` in seconds since the epoch, when known. */
  readonly expiresAt: number | undefined;
  /** Every `aud` value of the token. */
  readonly audience: readonly string[];
  /** Canonical URI of the protected resource this request was accepted for (RS-7). */
  readonly resource: string;
  readonly jti: string | undefined;
  /** Every claim of the token (JWT payload or introspection response). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** What a verifier checks a token against. */
export interface AccessTokenVerificationContext {
  /** Canonical URI of the resource the request is for: the token's `aud` must name it (RS-7). */
  readonly resource: string;
}

/**
 * Turns a bearer token into a `VerifiedAccessToken` (RS-6, RS-7) or refuses it.
 *
 * Contract: throw `InvalidAccessTokenError` for anything wrong with the token (answered 401
 * `invalid_token`), `AccessTokenVerifierUnavailableError` when the verifier cannot decide right
 * now (answered 503). Any other error is a bug (500). Never put the token in an error.
 * @publicApi
 */
export interface AccessTokenVerifier {
  /**
   * True when `verify` and `verifyCached` themselves refuse a token whose `aud` does not name
   * `context.resource` (RS-7). Otherwise `BearerStrategy` checks the audience after them.
   */
  readonly checksAudience?: boolean;
  verify(token: string, context: AccessTokenVerificationContext): Promise<VerifiedAccessToken>;
  /**
   * Optional fast path: the answer `verify` would give, without waiting, when the verifier can
   * decide from memory (e.g. a token it verified before); undefined when it cannot, and then
   * `verify` is called. Same contract otherwise (same checks, same errors). Lets BearerGuard
   * finish synchronously: no promise chain on the hot path.
   */
  verifyCached?(
    token: string,
    context: AccessTokenVerificationContext,
  ): VerifiedAccessToken | undefined;
}

export const AccessTokenVerifier = Symbol('McpAuth:AccessTokenVerifier');

/** @publicApi */
export const InjectAccessTokenVerifier = (): ParameterDecorator & PropertyDecorator =>
  Inject(AccessTokenVerifier);

/**
 * The verifier cannot decide right now (introspection endpoint or JWKS unreachable): not the
 * client's fault, answered 503. The message names the failing dependency, never the token.
 */
export class AccessTokenVerifierUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessTokenVerifierUnavailableError';
  }
}
