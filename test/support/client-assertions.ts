import { randomUUID } from 'node:crypto';
import {
  base64url,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

/**
 * `private_key_jwt` clients of the tests (RFC 7523 §2.2): key pairs, their public JWK Sets and
 * signed client assertions, with every claim and header overridable for hostile cases.
 */

/** RFC 7523 §2.2 `client_assertion_type`. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The algorithms the server advertises for client assertions. */
export type AssertionAlgorithm = 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA';
export const ASSERTION_ALGORITHMS: readonly AssertionAlgorithm[] = [
  'ES256',
  'ES384',
  'RS256',
  'PS256',
  'EdDSA',
];

export interface ClientKey {
  alg: AssertionAlgorithm;
  kid: string;
  privateKey: CryptoKey;
  /** The public half as registered: `kid`, `alg`, `use: sig`. */
  publicJwk: JWK;
  /** The private half (what `PrivateKeyJwtProvider` takes as `privateKey`). */
  privateJwk: JWK;
}

/** A fresh key pair for `alg` (Ed25519 for EdDSA), private half extractable. */
export async function generateClientKey(
  alg: AssertionAlgorithm,
  kid: string = `${alg.toLowerCase()}-${randomUUID()}`,
): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg };
  return { alg, kid, privateKey, publicJwk, privateJwk };
}

/** The public JWK Set of some keys, as a client registers it (`jwks`) or serves it. */
export function jwksOf(...keys: ClientKey[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((key) => ({ ...key.publicJwk })) };
}

export interface AssertionOptions {
  clientId: string;
  /** `aud`: the issuer, an endpoint URL, or a list. */
  audience: string | string[];
  /** The signing key (its `alg` and `kid` go in the header unless `header` says otherwise). */
  key: ClientKey;
  /** Seconds until `exp`; default 60. */
  lifetimeSeconds?: number;
  /** Claims to set or, with `undefined`, to leave out (`iss`, `sub`, `jti`, `exp`...). */
  claims?: Record<string, unknown>;
  /** Header members to set or, with `undefined`, to leave out. */
  header?: Record<string, unknown>;
}

/** The claims an assertion carries before overrides: iss = sub = client_id, a random jti. */
export function assertionClaims(options: AssertionOptions): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: options.clientId,
    sub: options.clientId,
    aud: options.audience,
    iat: now,
    exp: now + (options.lifetimeSeconds ?? 60),
    jti: randomUUID(),
    ...options.claims,
  };
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) delete claims[name];
  }
  return claims;
}

/** A signed client assertion (RFC 7523 §3). */
export async function signClientAssertion(options: AssertionOptions): Promise<string> {
  const header: Record<string, unknown> = {
    alg: options.key.alg,
    kid: options.key.kid,
    typ: 'JWT',
    ...options.header,
  };
  for (const [name, value] of Object.entries(header)) {
    if (value === undefined) delete header[name];
  }
  return new SignJWT(assertionClaims(options))
    .setProtectedHeader(header as { alg: string })
    .sign(options.key.privateKey);
}

/** An unsecured JWT (`alg: none`, empty signature) with the given claims. */
export function unsecuredJwt(claims: JWTPayload, header: Record<string, unknown> = {}): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', typ: 'JWT', ...header })}.${encode(claims)}.`;
}

/** The form parameters that present `assertion` (RFC 7521 §4.2). */
export function assertionParams(assertion: string): Record<string, string> {
  return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
}
