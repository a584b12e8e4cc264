import { Injectable } from '@nestjs/common';
import { errors as joseErrors, jwtVerify } from 'jose';
import { McpAuthConfig } from '../../mcp-auth.config';
import { SUPPORTED_SIGNING_ALGORITHMS } from '../../oauth/signing-algorithms';
import type { ClientRecord } from '../../storage/client-store.interface';
import { InjectUsedJtiStore, type UsedJtiStore } from '../../storage/used-jti-store.interface';
import { ClientKeySets } from './client-key-sets';

type VerifyOptions = Parameters<typeof jwtVerify>[2];

async function verifyWithAny(
  assertion: string,
  candidates: joseErrors.JWKSMultipleMatchingKeys,
  options: VerifyOptions,
): Promise<Record<string, unknown> | null> {
  for await (const key of candidates) {
    try {
      return (await jwtVerify(assertion, key, options)).payload;
    } catch {
      // Not this one.
    }
  }
  return null;
}

function isKeyMiss(error: unknown): boolean {
  return (
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  );
}

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Algorithms a client may sign assertions with (`token_endpoint_auth_signing_alg_values_supported`). */
export const CLIENT_ASSERTION_ALGORITHMS = SUPPORTED_SIGNING_ALGORITHMS;
/** An assertion is a one-shot credential: it may not live longer than this (exp − now). */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Checks a `private_key_jwt` client assertion (RFC 7523 §3, RFC 7521 §5.2): signed with one of
 * the client's keys by an advertised algorithm, `iss` = `sub` = client_id, `aud` naming this
 * server (its issuer, the endpoint's URL, or the token endpoint's URL, which some clients use
 * for every endpoint), a near `exp`, and a `jti` used once, recorded in
 * the database until the assertion expires so that no instance accepts it twice.
 */
@Injectable()
export class ClientAssertionVerifier {
  constructor(
    private readonly config: McpAuthConfig,
    private readonly keySets: ClientKeySets,
    @InjectUsedJtiStore() private readonly usedJtis: UsedJtiStore,
  ) {}

  /** True when the assertion authenticates `client` at `endpointUrl`. */
  async verify(client: ClientRecord, assertion: string, endpointUrl: string): Promise<boolean> {
    const payload = await this.verifySignature(client, assertion, endpointUrl);
    if (!payload) return false;
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp - now > MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) return false;
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) {
      return false;
    }
    return this.usedJtis.use(
      `client:${client.clientId}`,
      payload.jti,
      new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000),
    );
  }

  private async verifySignature(
    client: ClientRecord,
    assertion: string,
    endpointUrl: string,
  ): Promise<Record<string, unknown> | null> {
    const options = {
      issuer: client.clientId,
      subject: client.clientId,
      audience: [this.config.issuer, endpointUrl, this.config.endpoints.token],
      algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    };
    for (const refresh of [false, true]) {
      const keys = await this.keySets.keysOf(client, refresh);
      if (!keys) return null;
      try {
        return (await jwtVerify(assertion, keys, options)).payload;
      } catch (error) {
        // No `kid` and several keys fit (SDK assertions carry none): try each of them.
        if (error instanceof joseErrors.JWKSMultipleMatchingKeys) {
          const payload = await verifyWithAny(assertion, error, options);
          if (payload) return payload;
        }
        // A key the cached set lacks, or a signature no cached key checks: the client may have
        // rotated its keys; fetch them once more (at most once a minute per key set).
        if (!refresh && isKeyMiss(error)) continue;
        return null;
      }
    }
    return null;
  }
}
