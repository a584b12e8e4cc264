import { Injectable } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { McpAuthConfig } from '../../mcp-auth.config';
import { parseBasicAuthorization } from '../../oauth/basic-auth';
import { OAuthError } from '../../oauth/oauth-error';
import type { ClientRecord, TokenEndpointAuthMethod } from '../../storage/client-store.interface';
import { hashSecret, verifySecret } from '../../tokens/secret-hash';
import { ClientLookup, MAX_CLIENT_ID_LENGTH } from '../client-metadata-document/client-lookup';
import type { AuthenticatedClient } from './authenticated-client.interface';
import { CLIENT_ASSERTION_TYPE, ClientAssertionVerifier } from './client-assertion.verifier';
import type { FormParameters } from './form-parameters';

const MAX_CLIENT_SECRET_LENGTH = 1024;
const CONTROL_CHARACTERS = /\p{Cc}/u;
/** One description for every credential failure, so answers never tell the cases apart. */
const AUTHENTICATION_FAILED = 'Client authentication failed.';
/** Compared against when the client does not exist, so that case costs the same work. */
const UNKNOWN_CLIENT_HASH = hashSecret('mcp-auth:unknown-client');

/** The credentials a request presented, before any lookup. */
interface PresentedCredentials {
  clientId: string;
  method: TokenEndpointAuthMethod;
  secret: string | undefined;
  /** `private_key_jwt`: the signed client assertion. */
  assertion?: string;
}

export interface AuthenticationOptions {
  /**
   * Authenticate against a client read in the last moments (`ClientLookup.recentlyAuthenticated`)
   * when there is one, without a database round trip. Only for callers whose own statement
   * then confirms the client's `version` and that authenticate again when it does not (the
   * code and refresh grants). Never for `private_key_jwt`, whose assertion is single-use.
   */
  reuseRecentClient?: boolean;
}

/** Longest client assertion read: a JWT with a few claims and an RSA-4096 signature is ~1 KB. */
const MAX_ASSERTION_LENGTH = 8192;

/**
 * Authenticates clients at the token, revocation and introspection endpoints (AS-20):
 * `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523 §2.2) and `none`,
 * exactly as each client registered.
 *
 * Every failure is a 401 `invalid_client` with the same description, whether the client is
 * unknown, the secret wrong or the method not the registered one (RFC 6749 §5.2, AS-24); when
 * the request used HTTP Basic it carries a `WWW-Authenticate: Basic` challenge.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(
    private readonly clients: ClientLookup,
    private readonly config: McpAuthConfig,
    private readonly assertions: ClientAssertionVerifier,
  ) {}

  /**
   * @param authorization the request's `Authorization` header, if any
   * @param params the form parameters (`client_id`, `client_secret`)
   * @throws OAuthError invalid_client (401), or invalid_request for a request that mixes methods
   */
  async authenticate(
    authorization: string | undefined,
    params: FormParameters,
    endpointUrl: string = this.config.endpoints.token,
    options: AuthenticationOptions = {},
  ): Promise<AuthenticatedClient> {
    const presented = this.readCredentials(authorization, params);
    if (options.reuseRecentClient && presented.method !== 'private_key_jwt') {
      // A client read moments ago, checked the same way; the caller's statement confirms its
      // row version. If it fails here (a secret rotated since, say), the store decides below.
      const recent = this.clients.recentlyAuthenticated(presented.clientId);
      if (recent && recent.tokenEndpointAuthMethod === presented.method) {
        const method = presented.method;
        if (method === 'none') return { client: recent, method };
        if (secretMatches(recent, presented.secret) && !secretExpired(recent)) {
          return { client: recent, method };
        }
      }
    }
    const fail = (description = AUTHENTICATION_FAILED): OAuthError =>
      OAuthError.invalidClient(description, {
        basicRealm: presented.method === 'client_secret_basic' ? this.config.issuer : undefined,
      });

    const client = await this.clients.forAuthentication(presented.clientId);
    if (!client || client.tokenEndpointAuthMethod !== presented.method) {
      // Same hashing work as a real check, so timing does not reveal which ids exist.
      if (presented.secret !== undefined) verifySecret(presented.secret, UNKNOWN_CLIENT_HASH);
      throw fail();
    }
    if (presented.method === 'none') {
      return { client, method: 'none' };
    }
    if (presented.method === 'private_key_jwt') {
      const valid = await this.assertions.verify(
        client,
        presented.assertion as string,
        endpointUrl,
      );
      if (!valid) throw fail();
      return { client, method: 'private_key_jwt' };
    }
    if (!secretMatches(client, presented.secret)) {
      throw fail();
    }
    // Checked after the secret, so only its holder learns that it expired (RFC 7591 §3.2.1).
    if (secretExpired(client)) {
      throw fail('The client secret has expired.');
    }
    return { client, method: presented.method };
  }

  private readAssertion(
    authorization: string | undefined,
    bodyClientId: string | undefined,
    bodySecret: string | undefined,
    assertionType: string | undefined,
    assertion: string | undefined,
  ): PresentedCredentials {
    // RFC 6749 §2.3: one authentication method per request.
    if (bodySecret !== undefined || parseBasicAuthorization(authorization)) {
      throw OAuthError.invalidRequest('The client used more than one authentication method.');
    }
    return assertionCredentials(bodyClientId, assertionType, assertion);
  }

  /** Works out which method the request used (RFC 6749 §2.3) without touching the store. */
  private readCredentials(
    authorization: string | undefined,
    params: FormParameters,
  ): PresentedCredentials {
    const basicFailure = (description: string): OAuthError =>
      OAuthError.invalidClient(description, { basicRealm: this.config.issuer });
    const bodyClientId = params.get('client_id', { maxLength: MAX_CLIENT_ID_LENGTH });
    const bodySecret = params.get('client_secret', { maxLength: MAX_CLIENT_SECRET_LENGTH });
    const assertionType = params.get('client_assertion_type', { maxLength: 256 });
    const assertion = params.get('client_assertion', { maxLength: MAX_ASSERTION_LENGTH });
    if (assertionType !== undefined || assertion !== undefined) {
      return this.readAssertion(authorization, bodyClientId, bodySecret, assertionType, assertion);
    }

    const basic = parseBasicAuthorization(authorization);
    if (basic) {
      if (!basic.ok) {
        // RFC 6749 §5.2: the client tried header authentication, so it gets a 401 challenge.
        throw basicFailure(basic.description);
      }
      // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
      if (bodySecret !== undefined) {
        throw OAuthError.invalidRequest(
          'The client used more than one authentication method (Basic and client_secret).',
        );
      }
      const { clientId, clientSecret } = basic.credentials;
      if (bodyClientId !== undefined && bodyClientId !== clientId) {
        throw basicFailure(AUTHENTICATION_FAILED);
      }
      if (clientId.length > MAX_CLIENT_ID_LENGTH) throw basicFailure(AUTHENTICATION_FAILED);
      return { clientId, method: 'client_secret_basic', secret: clientSecret };
    }

    if (bodyClientId === undefined || CONTROL_CHARACTERS.test(bodyClientId)) {
      // Also keeps NUL and friends away from the database, which would refuse them with an error.
      throw OAuthError.invalidClient(AUTHENTICATION_FAILED);
    }
    if (bodySecret !== undefined) {
      return { clientId: bodyClientId, method: 'client_secret_post', secret: bodySecret };
    }
    return { clientId: bodyClientId, method: 'none', secret: undefined };
  }
}

/** RFC 7523 §2.2 client assertion. */
function assertionCredentials(
  bodyClientId: string | undefined,
  assertionType: string | undefined,
  assertion: string | undefined,
): PresentedCredentials {
  if (assertionType !== CLIENT_ASSERTION_TYPE || !assertion) {
    throw OAuthError.invalidClient(AUTHENTICATION_FAILED);
  }
  // Only to find the client; the signature is checked against that client's keys.
  let subject: unknown;
  try {
    subject = decodeJwt(assertion).sub;
  } catch {
    throw OAuthError.invalidClient(AUTHENTICATION_FAILED);
  }
  const clientId = bodyClientId ?? subject;
  if (
    typeof clientId !== 'string' ||
    clientId === '' ||
    clientId !== subject ||
    clientId.length > MAX_CLIENT_ID_LENGTH ||
    CONTROL_CHARACTERS.test(clientId)
  ) {
    throw OAuthError.invalidClient(AUTHENTICATION_FAILED);
  }
  return { clientId, method: 'private_key_jwt', secret: undefined, assertion };
}

function secretExpired(client: ClientRecord): boolean {
  return (
    client.clientSecretExpiresAt !== null && client.clientSecretExpiresAt.getTime() <= Date.now()
  );
}

/** Constant-time check of a presented secret against the client's stored hash. */
function secretMatches(client: ClientRecord, secret: string | undefined): boolean {
  if (secret === undefined || secret === '' || client.clientSecretHash === null) {
    verifySecret(secret ?? '', UNKNOWN_CLIENT_HASH);
    return false;
  }
  return verifySecret(secret, client.clientSecretHash);
}
