import { Logger } from '@nestjs/common';
import {
  auth,
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  refreshAuthorization,
  registerClient,
  startAuthorization,
  type OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import {
  InvalidClientError,
  InvalidClientMetadataError,
  InvalidGrantError,
  InvalidTargetError,
  UnauthorizedClientError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type {
  OAuthClientInformationFull,
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { parseForm, TestBrowser } from './support/browser';
import { InMemoryOAuthClientProvider } from './support/oauth-client-provider';
import {
  closeAppKeepingDatabase,
  createTestApp,
  freePort,
  TEST_RESOURCE_SERVER,
  type TestApp,
} from './support/test-app';

/**
 * The happy path, driven by the official MCP TypeScript SDK client (v1.32) exactly as
 * an MCP client would drive it: discovery, dynamic registration, the authorization request
 * (the person is played by TestBrowser), code exchange, refresh with rotation, revocation and
 * introspection. Every access token we receive is checked with plain `jose` against the
 * published JWKS, as an independent resource server would.
 */

type AuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

/** A token-endpoint request as the SDK sent it. */
interface SentRequest {
  url: string;
  method: string;
  headers: Headers;
  form: URLSearchParams | undefined;
  status: number;
}

/** A `fetch` for the SDK's `fetchFn` that records what it sends. */
function recordingFetch(log: SentRequest[]): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    const body = init?.body;
    log.push({
      url: String(url),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      form:
        body instanceof URLSearchParams
          ? new URLSearchParams(body)
          : typeof body === 'string' && !body.startsWith('{')
            ? new URLSearchParams(body)
            : undefined,
      status: response.status,
    });
    return response;
  };
}

function basicHeader(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** POSTs a form, authenticating as `client` by its registered method (as the SDK would). */
async function postForm(
  url: string,
  form: Record<string, string>,
  client: OAuthClientInformationFull,
): Promise<Response> {
  const body = new URLSearchParams(form);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  switch (client.token_endpoint_auth_method) {
    case 'client_secret_basic':
      headers.authorization = basicHeader(client.client_id, client.client_secret ?? '');
      break;
    case 'client_secret_post':
      body.set('client_id', client.client_id);
      body.set('client_secret', client.client_secret ?? '');
      break;
    default:
      body.set('client_id', client.client_id);
  }
  return fetch(url, { method: 'POST', headers, body });
}

/** Reads one authorization response parameter, requiring it to appear exactly once (AS-16). */
function single(url: URL, name: string): string {
  const values = url.searchParams.getAll(name);
  expect({ name, count: values.length }).toEqual({ name, count: 1 });
  return values[0];
}

const randomState = () => randomBytes(16).toString('base64url');

describe('Official MCP SDK client (v1.32) against the authorization server', () => {
  let t: TestApp;
  let issuer: string;
  let mcpUrl: string;
  /** RFC 8414 metadata (the SDK types it as RFC 8414 | OIDC; ours is RFC 8414). */
  let metadata: OAuthMetadata;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  /** A confidential client standing in for a resource server that introspects (AS-27). */
  let introspector: OAuthClientInformationFull;

  beforeAll(async () => {
    // Reuse of a rotated refresh token revokes the family at once (no grace window).
    t = await createTestApp({ auth: () => ({ tokens: { refreshReuseGraceSeconds: 0 } }) });
    issuer = t.url;
    mcpUrl = `${issuer}/mcp`;
    // Code replays and refresh reuse are logged as warnings on purpose.
    Logger.overrideLogger(['error']);
    const discovered = await discoverAuthorizationServerMetadata(issuer);
    if (!discovered) throw new Error('no authorization server metadata');
    metadata = discovered;
    jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    introspector = {
      client_id: TEST_RESOURCE_SERVER.clientId,
      client_secret: TEST_RESOURCE_SERVER.secret,
      token_endpoint_auth_method: TEST_RESOURCE_SERVER.method,
      redirect_uris: ['https://rs.example.com/unused'],
    };
  });
  afterAll(() => t?.close());

  /** RS-6 / RS-7 as any resource server would: plain jose, remote JWKS, iss, aud, typ. */
  async function verifyAccessToken(token: string): Promise<JWTPayload> {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer,
      audience: mcpUrl,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(protectedHeader.kid).toEqual(expect.any(String));
    return payload;
  }

  async function introspect(
    token: string,
    caller = introspector,
  ): Promise<Record<string, unknown>> {
    const response = await postForm(metadata.introspection_endpoint as string, { token }, caller);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  it('AS-2/AS-5/AS-6/AS-7: discoverAuthorizationServerMetadata() finds everything the flow needs', () => {
    expect(metadata).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      revocation_endpoint: `${issuer}/revoke`,
      introspection_endpoint: `${issuer}/introspect`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['none', 'client_secret_basic', 'client_secret_post']),
    );
  });

  interface ClientCase {
    label: string;
    method: AuthMethod;
    applicationType: 'native' | 'web';
    /** What the client registers. */
    registeredRedirect: string;
    /** What it sends: for the native client the loopback port is chosen at run time. */
    redirectUrl: () => Promise<string>;
    scope: string;
  }

  const CASES: ClientCase[] = [
    {
      label: 'public native client (none, loopback redirect on an ephemeral port)',
      method: 'none',
      applicationType: 'native',
      registeredRedirect: 'http://127.0.0.1/callback',
      redirectUrl: async () => `http://127.0.0.1:${await freePort()}/callback`,
      // What SDK CLI clients ask for; offline_access makes startAuthorization add prompt=consent.
      scope: 'mcp:tools offline_access',
    },
    {
      label: 'confidential web client (client_secret_basic)',
      method: 'client_secret_basic',
      applicationType: 'web',
      registeredRedirect: 'https://basic.example.com/oauth/callback',
      redirectUrl: () => Promise.resolve('https://basic.example.com/oauth/callback'),
      scope: 'mcp:tools mcp:resources',
    },
    {
      label: 'confidential web client (client_secret_post)',
      method: 'client_secret_post',
      applicationType: 'web',
      registeredRedirect: 'https://post.example.com/callback?tenant=1',
      redirectUrl: () => Promise.resolve('https://post.example.com/callback?tenant=1'),
      scope: 'mcp:resources',
    },
  ];

  describe.each(CASES)('$label', (c) => {
    let client: OAuthClientInformationFull;
    let redirectUrl: string;
    const tokenRequests: SentRequest[] = [];
    const fetchFn = recordingFetch(tokenRequests);

    /** A fresh authorization: startAuthorization(), the person, and the redirect back. */
    async function authorize(state = randomState()): Promise<{
      authorizationUrl: URL;
      redirect: URL;
      codeVerifier: string;
      state: string;
      pages: TestBrowser['lastPages'];
    }> {
      const { authorizationUrl, codeVerifier } = await startAuthorization(issuer, {
        metadata,
        clientInformation: client,
        redirectUrl,
        scope: c.scope,
        resource: new URL(mcpUrl),
        state,
      });
      const browser = new TestBrowser(issuer);
      const redirect = await browser.authorize(authorizationUrl.toString());
      return { authorizationUrl, redirect, codeVerifier, state, pages: browser.lastPages };
    }

    /** authorize() + exchangeAuthorization(). */
    async function obtainTokens(): Promise<{
      tokens: OAuthTokens;
      code: string;
      verifier: string;
    }> {
      const { redirect, codeVerifier } = await authorize();
      const code = single(redirect, 'code');
      const tokens = await exchangeAuthorization(issuer, {
        metadata,
        clientInformation: client,
        authorizationCode: code,
        codeVerifier,
        redirectUri: redirectUrl,
        resource: new URL(mcpUrl),
        fetchFn,
      });
      return { tokens, code, verifier: codeVerifier };
    }

    function refreshWith(refreshToken: string): Promise<OAuthTokens> {
      return refreshAuthorization(issuer, {
        metadata,
        clientInformation: client,
        refreshToken,
        resource: new URL(mcpUrl),
        fetchFn,
      });
    }

    beforeAll(async () => {
      redirectUrl = await c.redirectUrl();
    });

    it(`AS-9/AS-10: registerClient() registers it (201) with token_endpoint_auth_method ${c.method}`, async () => {
      const clientMetadata = {
        client_name: `SDK ${c.method} client`,
        redirect_uris: [c.registeredRedirect],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: c.method,
        // 2026-07-28 clients send it; the SDK 1.32 schema does not know it but passes it on.
        application_type: c.applicationType,
      } as OAuthClientMetadata;
      client = await registerClient(issuer, { metadata, clientMetadata, fetchFn });

      expect(client.client_id).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(client.redirect_uris).toEqual([c.registeredRedirect]);
      expect(client.token_endpoint_auth_method).toBe(c.method);
      if (c.method === 'none') {
        expect(client.client_secret).toBeUndefined();
      } else {
        expect(client.client_secret).toEqual(expect.any(String));
        // RFC 7591 §3.2.1: required whenever a secret is issued; 0 = never expires.
        expect(client.client_secret_expires_at).toBe(0);
      }
      expect(tokenRequests.at(-1)?.status).toBe(201);
    });

    it('AS-13/AS-14/AS-15/AS-16/AS-17/AS-18: startAuthorization() is accepted; after sign-in and consent the redirect carries code, state and iss once each', async () => {
      const state = randomState();
      const { authorizationUrl, redirect, pages } = await authorize(state);
      expect(pages).toEqual(['login', 'consent']);

      // What the SDK sent (AS-13 PKCE S256, AS-15 resource, AS-18 prompt=consent honoured).
      expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(
        metadata.authorization_endpoint,
      );
      expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorizationUrl.searchParams.get('resource')).toBe(mcpUrl);
      expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(redirectUrl);
      if (c.scope.includes('offline_access')) {
        expect(authorizationUrl.searchParams.get('prompt')).toBe('consent');
      }

      // AS-14: back to exactly the redirect URI the client sent (for the native client the
      // registered loopback URI with the run-time port), keeping a registered query.
      const sent = new URL(redirectUrl);
      expect(redirect.origin + redirect.pathname).toBe(sent.origin + sent.pathname);
      for (const [name, value] of sent.searchParams) {
        expect(redirect.searchParams.get(name)).toBe(value);
      }
      expect(redirect.searchParams.get('error')).toBeNull();
      // AS-16 / RFC 9207: iss equals the metadata issuer; state comes back unchanged.
      expect(single(redirect, 'iss')).toBe(metadata.issuer);
      expect(single(redirect, 'state')).toBe(state);
      expect(single(redirect, 'code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('AS-17/AS-18: authorizing again asks a public client for consent again (RFC 8252 §8.6, and its prompt=consent), not a confidential one', async () => {
      const { redirect, pages } = await authorize();
      expect(redirect.searchParams.get('code')).toBeTruthy();
      expect(pages).toEqual(c.method === 'none' ? ['login', 'consent'] : ['login']);
    });

    it(`AS-1/AS-15/AS-20/AS-21/AS-22: exchangeAuthorization() authenticates with ${c.method} and gets a Bearer at+jwt for <issuer>/mcp that plain jose verifies`, async () => {
      const { tokens } = await obtainTokens();

      const sent = tokenRequests.at(-1) as SentRequest;
      expect(sent.url).toBe(metadata.token_endpoint);
      expect(sent.form?.get('grant_type')).toBe('authorization_code');
      expect(sent.form?.get('resource')).toBe(mcpUrl);
      // AS-20: the SDK picked the registered method, and the server accepted it.
      if (c.method === 'client_secret_basic') {
        expect(sent.headers.get('authorization')).toMatch(/^Basic /);
        expect(sent.form?.has('client_secret')).toBe(false);
      } else if (c.method === 'client_secret_post') {
        expect(sent.headers.get('authorization')).toBeNull();
        expect(sent.form?.get('client_id')).toBe(client.client_id);
        expect(sent.form?.get('client_secret')).toBe(client.client_secret);
      } else {
        expect(sent.headers.get('authorization')).toBeNull();
        expect(sent.form?.get('client_id')).toBe(client.client_id);
        expect(sent.form?.has('client_secret')).toBe(false);
      }

      expect(tokens.token_type).toBe('Bearer');
      expect(tokens.expires_in).toBe(600);
      expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(tokens.scope?.split(' ').sort()).toEqual(c.scope.split(' ').sort());

      const claims = await verifyAccessToken(tokens.access_token);
      expect(claims).toMatchObject({
        iss: issuer,
        aud: mcpUrl,
        sub: 'user-alice',
        client_id: client.client_id,
      });
      expect(String(claims.scope).split(' ').sort()).toEqual(c.scope.split(' ').sort());
      // AS-22: short-lived.
      expect((claims.exp as number) - (claims.iat as number)).toBe(600);
      expect(claims.jti).toEqual(expect.any(String));
    });

    it('AS-23: refreshAuthorization() rotates; the old refresh token then fails with invalid_grant and the whole family is revoked', async () => {
      const { tokens: first } = await obtainTokens();
      const rotated = await refreshWith(first.refresh_token as string);

      const sent = tokenRequests.at(-1) as SentRequest;
      expect(sent.form?.get('grant_type')).toBe('refresh_token');
      expect(sent.form?.get('resource')).toBe(mcpUrl);
      expect(rotated.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotated.refresh_token).not.toBe(first.refresh_token);
      expect(rotated.access_token).not.toBe(first.access_token);
      const claims = await verifyAccessToken(rotated.access_token);
      expect(claims.client_id).toBe(client.client_id);
      expect(await introspect(rotated.access_token)).toMatchObject({ active: true });

      // Reuse of the rotated-out token: refused, and it takes the family down with it.
      await expect(refreshWith(first.refresh_token as string)).rejects.toBeInstanceOf(
        InvalidGrantError,
      );
      await expect(refreshWith(rotated.refresh_token as string)).rejects.toBeInstanceOf(
        InvalidGrantError,
      );
      expect(await introspect(rotated.access_token)).toEqual({ active: false });
      expect(await introspect(first.access_token)).toEqual({ active: false });
    });

    it('AS-26/AS-27: POST /revoke of the refresh token ends the grant; a confidential introspector then reports its tokens inactive', async () => {
      const { tokens: first } = await obtainTokens();
      const tokens = await refreshWith(first.refresh_token as string);
      const refreshToken = tokens.refresh_token as string;

      // Live before revocation (so "inactive" below means something).
      expect(await introspect(tokens.access_token)).toMatchObject({
        active: true,
        iss: issuer,
        aud: mcpUrl,
        client_id: client.client_id,
        sub: 'user-alice',
        token_type: 'Bearer',
      });
      if (c.method !== 'none') {
        // Only designated resource servers may introspect, not even a holder of the token.
        const refused = await postForm(
          metadata.introspection_endpoint as string,
          { token: refreshToken },
          client,
        );
        expect(refused.status).toBe(403);
        expect(await refused.json()).toMatchObject({ error: 'unauthorized_client' });
      }

      const revoked = await postForm(
        metadata.revocation_endpoint as string,
        { token: refreshToken, token_type_hint: 'refresh_token' },
        client,
      );
      expect(revoked.status).toBe(200);

      expect(await introspect(tokens.access_token)).toEqual({ active: false });
      await expect(refreshWith(refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
      // RFC 7009 §2.2: revoking it again (now unknown) is still 200.
      const again = await postForm(
        metadata.revocation_endpoint as string,
        { token: refreshToken },
        client,
      );
      expect(again.status).toBe(200);
    });

    it('AS-26: POST /revoke of an access token makes it inactive and leaves the refresh token working', async () => {
      const { tokens } = await obtainTokens();
      const revoked = await postForm(
        metadata.revocation_endpoint as string,
        { token: tokens.access_token, token_type_hint: 'access_token' },
        client,
      );
      expect(revoked.status).toBe(200);
      expect(await introspect(tokens.access_token)).toEqual({ active: false });
      const next = await refreshWith(tokens.refresh_token as string);
      await verifyAccessToken(next.access_token);
      expect(await introspect(next.access_token)).toMatchObject({ active: true });
    });

    it('AS-19: exchanging the same code again with the SDK is invalid_grant and revokes what the first exchange issued', async () => {
      const { redirect, codeVerifier } = await authorize();
      const code = single(redirect, 'code');
      const exchange = () =>
        exchangeAuthorization(issuer, {
          metadata,
          clientInformation: client,
          authorizationCode: code,
          codeVerifier,
          redirectUri: redirectUrl,
          resource: new URL(mcpUrl),
          fetchFn,
        });
      const tokens = await exchange();
      expect(await introspect(tokens.access_token)).toMatchObject({ active: true });

      await expect(exchange()).rejects.toBeInstanceOf(InvalidGrantError);
      expect(await introspect(tokens.access_token)).toEqual({ active: false });
      await expect(refreshWith(tokens.refresh_token as string)).rejects.toBeInstanceOf(
        InvalidGrantError,
      );
    });
  });

  it('AS-24: the SDK maps our errors to its own classes (what drives its re-register / re-authorize logic)', async () => {
    // invalid_client_metadata at registration.
    await expect(
      registerClient(issuer, {
        metadata,
        clientMetadata: {
          redirect_uris: ['https://errors.example.com/cb'],
          token_endpoint_auth_method: 'private_key_jwt',
        },
      }),
    ).rejects.toBeInstanceOf(InvalidClientMetadataError);

    const confidential = await registerClient(issuer, {
      metadata,
      clientMetadata: {
        client_name: 'errors',
        redirect_uris: ['https://errors.example.com/cb'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    });
    const exchange = (overrides: {
      clientInformation?: OAuthClientInformationFull;
      code?: string;
      verifier?: string;
      resource?: string;
    }) =>
      exchangeAuthorization(issuer, {
        metadata,
        clientInformation: overrides.clientInformation ?? confidential,
        authorizationCode: overrides.code ?? 'no-such-code',
        codeVerifier: overrides.verifier ?? 'v'.repeat(43),
        redirectUri: 'https://errors.example.com/cb',
        resource: new URL(overrides.resource ?? mcpUrl),
      });

    // invalid_client (401): the SDK discards its registration and registers again.
    await expect(
      exchange({ clientInformation: { ...confidential, client_secret: 'wrong-secret' } }),
    ).rejects.toBeInstanceOf(InvalidClientError);
    // invalid_grant: the SDK discards its tokens and starts a new authorization.
    await expect(exchange({})).rejects.toBeInstanceOf(InvalidGrantError);
    // unauthorized_client: this client did not register the refresh_token grant.
    await expect(
      refreshAuthorization(issuer, {
        metadata,
        clientInformation: confidential,
        refreshToken: 'x'.repeat(43),
      }),
    ).rejects.toBeInstanceOf(UnauthorizedClientError);

    // invalid_target for a resource we do not serve; the code survives and then redeems.
    const { authorizationUrl, codeVerifier } = await startAuthorization(issuer, {
      metadata,
      clientInformation: confidential,
      redirectUrl: 'https://errors.example.com/cb',
      scope: 'mcp:tools',
      resource: new URL(mcpUrl),
    });
    const redirect = await new TestBrowser(issuer).authorize(authorizationUrl.toString());
    const code = single(redirect, 'code');
    await expect(
      exchange({ code, verifier: codeVerifier, resource: 'https://other.example.com/mcp' }),
    ).rejects.toBeInstanceOf(InvalidTargetError);
    const tokens = await exchange({ code, verifier: codeVerifier });
    await verifyAccessToken(tokens.access_token);
    expect(tokens.refresh_token).toBeUndefined();
  });

  describe('auth() orchestration from the MCP server URL', () => {
    /** What this client registers: a public client that also asks for offline access. */
    const providerFor = (redirectUrl: string) =>
      new InMemoryOAuthClientProvider(redirectUrl, {
        metadata: { client_name: 'SDK auth() client', scope: 'mcp:tools offline_access' },
      });

    let provider: InMemoryOAuthClientProvider;
    const sent: SentRequest[] = [];
    const fetchFn = recordingFetch(sent);

    beforeAll(async () => {
      provider = providerFor(`http://127.0.0.1:${await freePort()}/callback`);
    });

    /**
     * auth() starts from the MCP server URL. When the resource server publishes PRM
     * (RFC 9728) it follows `authorization_servers`; when PRM answers 404 it falls back to the
     * 2025-03-26 behaviour: RFC 8414 metadata at the MCP origin. Both end at our issuer, so
     * this test holds whichever way the resource server is wired.
     */
    it('AS-2/AS-3/AS-9/AS-13/AS-15: auth() discovers the AS from <issuer>/mcp (PRM, or the 2025-03-26 origin fallback), registers and redirects', async () => {
      expect(await auth(provider, { serverUrl: mcpUrl, fetchFn })).toBe('REDIRECT');

      const discovery = provider.discoveryState() as OAuthDiscoveryState;
      expect(discovery.authorizationServerMetadata?.issuer).toBe(issuer);
      const url = provider.authorizationUrl as URL;
      expect(url.origin + url.pathname).toBe(metadata.authorization_endpoint);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('state')).toBe(provider.lastState);
      if (discovery.resourceMetadata) {
        // 2025-06-18+ path: PRM names us and the resource is sent (AS-15).
        expect(discovery.resourceMetadata.authorization_servers).toEqual([issuer]);
        expect(discovery.resourceMetadata.resource).toBe(mcpUrl);
        expect(url.searchParams.get('resource')).toBe(mcpUrl);
      } else {
        // 2025-03-26 path: the MCP origin is the AS; no resource parameter is sent.
        expect(discovery.authorizationServerUrl.replace(/\/$/, '')).toBe(issuer);
        expect(url.searchParams.has('resource')).toBe(false);
        expect(sent.some((r) => r.url.includes('/.well-known/oauth-protected-resource'))).toBe(
          true,
        );
      }
      const registration = sent.find((r) => r.url === metadata.registration_endpoint);
      expect(registration?.status).toBe(201);
      expect(provider.clientInformation()?.client_id).toEqual(expect.any(String));
    });

    it('AS-16/AS-19/AS-21: auth() with the authorizationCode exchanges it; the access token is for <issuer>/mcp either way', async () => {
      const redirect = await new TestBrowser(issuer).authorize(
        (provider.authorizationUrl as URL).toString(),
      );
      expect(single(redirect, 'iss')).toBe(issuer);
      expect(single(redirect, 'state')).toBe(provider.lastState);
      const code = single(redirect, 'code');

      expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: code, fetchFn })).toBe(
        'AUTHORIZED',
      );
      const tokens = provider.tokens() as OAuthTokens;
      expect(tokens.token_type).toBe('Bearer');
      expect(tokens.refresh_token).toEqual(expect.any(String));
      // AS-15: with no `resource` (03 path) the audience defaults to the canonical MCP URI.
      const claims = await verifyAccessToken(tokens.access_token);
      expect(claims.client_id).toBe(provider.clientInformation()?.client_id);
      expect(claims.sub).toBe('user-alice');
    });

    it('AS-23: auth() again with a stored refresh token refreshes (rotating it) instead of redirecting', async () => {
      const before = provider.tokens() as OAuthTokens;
      const opened = provider.authorizationUrls.length;

      expect(await auth(provider, { serverUrl: mcpUrl, fetchFn })).toBe('AUTHORIZED');
      expect(provider.authorizationUrls).toHaveLength(opened);
      const after = provider.tokens() as OAuthTokens;
      expect(after.refresh_token).not.toBe(before.refresh_token);
      await verifyAccessToken(after.access_token);
      expect(sent.at(-1)?.form?.get('grant_type')).toBe('refresh_token');

      // The rotated-out token is dead: presenting it again is invalid_grant.
      await expect(
        refreshAuthorization(issuer, {
          metadata,
          clientInformation: provider.clientInformation() as OAuthClientInformationMixed,
          refreshToken: before.refresh_token as string,
        }),
      ).rejects.toBeInstanceOf(InvalidGrantError);
    });

    /** A public client that would rather be known by its Client ID Metadata Document. */
    const CIMD_URL = 'https://client.example.com/oauth/client-metadata.json';
    const cimdProviderFor = async () => {
      const provider = providerFor(`http://127.0.0.1:${await freePort()}/callback`);
      provider.clientMetadataUrl = CIMD_URL;
      return provider;
    };

    /**
     * auth() alone: it stops at the authorization URL, so the server never fetches this
     * (non-loopback) document here; client-metadata-documents.e2e-spec.ts and
     * clients/sdk-client-cimd.e2e-spec.ts complete the flow against a local document server.
     */
    it('AS-11: with the default options the SDK sends its metadata-document URL as client_id and never registers', async () => {
      const cimdClient = await cimdProviderFor();
      const log: SentRequest[] = [];

      expect(metadata.client_id_metadata_document_supported).toBe(true);
      expect(await auth(cimdClient, { serverUrl: mcpUrl, fetchFn: recordingFetch(log) })).toBe(
        'REDIRECT',
      );
      expect(cimdClient.clientInformation()?.client_id).toBe(CIMD_URL);
      const url = cimdClient.authorizationUrl as URL;
      expect(url.origin + url.pathname).toBe(metadata.authorization_endpoint);
      expect(url.searchParams.get('client_id')).toBe(CIMD_URL);
      expect(url.searchParams.get('redirect_uri')).toBe(cimdClient.redirectUrl);
      // Discovery happened through fetchFn, and none of it was a registration.
      expect(log.some((r) => r.url === `${issuer}/.well-known/oauth-authorization-server`)).toBe(
        true,
      );
      expect(log.filter((r) => r.url === metadata.registration_endpoint)).toEqual([]);
    });

    it('AS-11: with clientMetadataDocuments turned off, the SDK falls back to dynamic registration and a URL client_id is an unknown client', async () => {
      const off = await createTestApp({
        db: t.db,
        auth: () => ({ clientMetadataDocuments: { enabled: false } }),
      });
      Logger.overrideLogger(['error']);
      try {
        const offMetadata = await discoverAuthorizationServerMetadata(off.url);
        expect(offMetadata).toBeDefined();
        expect(offMetadata).not.toHaveProperty('client_id_metadata_document_supported');

        const cimdClient = await cimdProviderFor();
        const log: SentRequest[] = [];
        expect(
          await auth(cimdClient, { serverUrl: `${off.url}/mcp`, fetchFn: recordingFetch(log) }),
        ).toBe('REDIRECT');
        const clientId = cimdClient.clientInformation()?.client_id;
        expect(clientId).not.toBe(CIMD_URL);
        expect(clientId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
        expect(log.find((r) => r.url === `${off.url}/register`)?.status).toBe(201);
        expect(cimdClient.authorizationUrl?.searchParams.get('client_id')).toBe(clientId);

        // Sent anyway, a URL client_id is just an unknown client: an error page, no redirect.
        const authorize = new URL(`${off.url}/authorize`);
        authorize.search = new URLSearchParams({
          response_type: 'code',
          client_id: CIMD_URL,
          redirect_uri: cimdClient.redirectUrl,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCQaoeQUa5zzVYXVFy2OQ3Wo',
          code_challenge_method: 'S256',
        }).toString();
        const page = await fetch(authorize, { redirect: 'manual' });
        expect(page.status).toBe(400);
        expect(page.headers.get('location')).toBeNull();
        expect(await page.text()).toContain('The client is not registered here.');
      } finally {
        await closeAppKeepingDatabase(off.app, t.db);
      }
    });
  });

  describe('the consent page the SDK flow leads to (AS-17)', () => {
    /** Starts an SDK authorization for a fresh client and returns the consent page HTML. */
    async function consentPage(redirectUri: string, applicationType: 'native' | 'web') {
      const client = await registerClient(issuer, {
        metadata,
        clientMetadata: {
          client_name: `Consent <b>${applicationType}</b> client`,
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'none',
          application_type: applicationType,
        } as OAuthClientMetadata,
      });
      const { authorizationUrl } = await startAuthorization(issuer, {
        metadata,
        clientInformation: client,
        redirectUrl: redirectUri,
        scope: 'mcp:tools mcp:resources',
        resource: new URL(mcpUrl),
        state: randomState(),
      });
      const browser = new TestBrowser(issuer);
      const login = await browser.navigate(authorizationUrl.toString());
      const form = parseForm(login.html ?? '');
      expect(form?.fields).toContain('password');
      const consent = await browser.navigate(new URL(form!.action, login.url).toString(), {
        form: { csrf: form!.csrf, username: 'bob', password: 'bob-password' },
      });
      expect(consent.response.status).toBe(200);
      return { html: consent.html ?? '', client };
    }

    it('AS-17: names the client (escaped), the scopes, the resource and the redirect host, and warns about a loopback redirect', async () => {
      const { html, client } = await consentPage('http://127.0.0.1:43123/callback', 'native');
      expect(html).toContain('Consent &lt;b&gt;native&lt;/b&gt; client');
      expect(html).not.toContain('<b>native</b>');
      expect(html).toContain('Call tools');
      expect(html).toContain('Read resources');
      // Line-break opportunities after each `/` of a URL are not part of its text.
      expect(html.replaceAll('<wbr>', '')).toContain(mcpUrl);
      expect(html).toContain('127.0.0.1:43123');
      expect(html).toContain(client.client_id);
      expect(html).toContain('runs on your own computer');
    });

    it('AS-17: a web client’s consent page shows its https redirect host and no loopback warning', async () => {
      const { html } = await consentPage('https://consent.example.com/cb', 'web');
      expect(html).toContain('consent.example.com');
      expect(html).not.toContain('runs on your own computer');
    });
  });
});

describe('An https issuer behind a TLS-terminating proxy (AS-17, AS-25)', () => {
  const ISSUER = 'https://mcp.example.com';
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      auth: () => ({
        issuer: ISSUER,
        clients: [
          {
            client_id: 'static-web',
            redirect_uris: ['https://app.example.com/callback'],
            token_endpoint_auth_method: 'none',
          },
        ],
      }),
    });
  });
  afterAll(() => t?.close());

  it('AS-25: metadata advertises only https endpoints of the issuer', async () => {
    const body = (await (
      await fetch(`${t.url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(body.issuer).toBe(ISSUER);
    for (const [name, value] of Object.entries(body)) {
      if (name.endsWith('_endpoint') || name === 'jwks_uri') {
        expect(String(value).startsWith(`${ISSUER}/`)).toBe(true);
      }
    }
  });

  it('AS-17: the browser-binding cookie is __Host- prefixed, Secure, HttpOnly, SameSite=Lax, Path=/', async () => {
    const authorize = new URL(`${t.url}/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'static-web',
      redirect_uri: 'https://app.example.com/callback',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCQaoeQUa5zzVYXVFy2OQ3Wo',
      code_challenge_method: 'S256',
      state: 's',
    }).toString();
    const response = await fetch(authorize, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/^https:\/\/mcp\.example\.com\/interaction\//);
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    const [cookie] = cookies;
    expect(cookie).toMatch(/^__Host-mcp_auth_browser=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
    expect(cookie).not.toMatch(/;\s*Domain=/i);
  });
});
