import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, exportJWK } from 'jose';
import type { StaticClientOptions } from '@app/mcp-auth';
import {
  JWT_BEARER_GRANT_TYPE,
  obtainIdJag,
  signInAtIdp,
  startEnterpriseIdp,
  type EnterpriseIdp,
  type EnterpriseIdpClient,
  type EnterpriseIdpUser,
  type IdJagCraft,
} from '../support/enterprise-idp';
import { JsonServer } from '../support/json-server';
import { freePort, type TestApp } from '../support/test-app';
import { registerClient } from '../support/token-endpoints';
import { NO_CHANGE } from './support/attack-battery';
import {
  authenticate,
  basicAuth,
  captureLogs,
  changesOf,
  createSecurityApp,
  dumpModuleTables,
  expectOAuthJson,
  http,
  recordTokens,
  register,
  SecretRegistry,
  type CapturingLogger,
  type Client,
  type RawResponse,
  type TableChange,
} from './support/harness';

/**
 * Identity Assertion JWT Authorization Grants (MCP Enterprise-Managed Authorization; RFC 7523
 * §2.1 and §3, RFC 7521 §5.2, RFC 8725): hostile ID-JAGs and hostile redemptions at /token.
 * Every case asserts the exact status and OAuth error and what it changed in the `mcp_auth_`
 * tables: nothing, except what the rules require (a verified ID-JAG's `jti` is spent even when
 * the identity hook then refuses the user; a successful redemption records a grant).
 *
 * The ID-JAGs come from real identity providers on loopback (test/support/enterprise-idp.ts):
 * `idp` is trusted (its keys by `jwks_uri`, its scopes capped by the operator), `partner` is
 * trusted for one client only, `rogueIdp` is not trusted at all; three more trusted issuers
 * have keys that cannot be fetched (no answer, a 500, no discovery document). Crafted ID-JAGs
 * are honest but for the one thing each case changes: the controls at the top prove an
 * uncrafted one is accepted.
 *
 * The suite ends with scans: no client secret, ID token, ID-JAG or access token in any table or
 * log line, and the number of hostile cases.
 */

/** The hostile cases declared below (the closing check counts them). */
const EXPECTED_CASES = 78;
const MAX_ASSERTION_LENGTH = 16 * 1024;

const ALICE: EnterpriseIdpUser = {
  username: 'alice',
  password: 'alice-password-at-the-idp',
  subject: '00u1alice7f3a',
  email: 'alice@acme.example',
};
const CHAT_AT_IDP: EnterpriseIdpClient = {
  clientId: 'acme-chat',
  clientSecret: 'acme-chat-secret-at-the-idp-0123456789',
};

/** Confidential clients pre-registered here (static `clients`), and how they authenticate. */
const CHAT: Client = {
  clientId: 'acme-chat',
  secret: 'acme-chat-secret-at-the-mcp-server-0123456789',
  method: 'client_secret_basic',
  redirectUris: [],
};
const OTHER: Client = {
  ...CHAT,
  clientId: 'other-chat',
  secret: 'other-chat-secret-0123456789abcdef',
};
/** May have `mcp:tools` only (its registered `scope`). */
const NARROW: Client = {
  ...CHAT,
  clientId: 'narrow-chat',
  secret: 'narrow-chat-secret-0123456789abcd',
};
/** A confidential client registered for the authorization code grant only. */
const CODE_ONLY: Client = {
  ...CHAT,
  clientId: 'code-only',
  secret: 'code-only-secret-0123456789abcdef',
};
const POSTING: Client = {
  ...CHAT,
  clientId: 'posting-chat',
  secret: 'posting-chat-secret-0123456789abcd',
  method: 'client_secret_post',
};

function staticClient(
  client: Client,
  extra: Partial<StaticClientOptions> = {},
): StaticClientOptions {
  return {
    client_id: client.clientId,
    client_secret: client.secret,
    token_endpoint_auth_method: client.method,
    grant_types: [JWT_BEARER_GRANT_TYPE],
    ...extra,
  };
}

const added = (count = 1): TableChange => ({ added: count, removed: 0, changed: 0 });
/** A successful redemption: a grant recorded, the ID-JAG's jti spent. */
const REDEEMED = { grants: added(), used_jtis: added() };
/** A verified ID-JAG refused after its jti was recorded (the identity hook said no). */
const JTI_SPENT = { used_jtis: added() };

describe('Security: ID-JAG (JWT bearer grant) attacks', () => {
  const secrets = new SecretRegistry();
  let t: TestApp;
  let idp: EnterpriseIdp;
  let partner: EnterpriseIdp;
  let rogueIdp: EnterpriseIdp;
  /** Serves a JWKS that answers 500. */
  let brokenKeys: JsonServer;
  /** Issuers whose keys cannot be had: a closed port for the JWKS, or for discovery. */
  let deadJwksIssuer: string;
  let deadDiscoveryIssuer: string;
  let brokenJwksIssuer: string;
  let publicWithGrant: Client;
  let registeredPublic: Client;
  let logs: { logger: CapturingLogger; restore(): void } | undefined;
  let cases = 0;
  const mcp = () => `${t.url}/mcp`;

  beforeAll(async () => {
    idp = await startEnterpriseIdp({ users: [ALICE], clients: [CHAT_AT_IDP] });
    partner = await startEnterpriseIdp({ users: [ALICE], clients: [CHAT_AT_IDP] });
    rogueIdp = await startEnterpriseIdp({ users: [ALICE], clients: [CHAT_AT_IDP] });
    brokenKeys = await new JsonServer().start();
    brokenKeys.routes.set('/jwks', () => ({ status: 500, body: { error: 'down' } }));
    brokenJwksIssuer = `${brokenKeys.origin}/tenant`;
    deadJwksIssuer = `http://127.0.0.1:${await freePort()}`;
    deadDiscoveryIssuer = `http://127.0.0.1:${await freePort()}`;
    t = await createSecurityApp({
      auth: () => ({
        resources: [
          { path: '/mcp', scopes: ['mcp:tools', 'mcp:resources', 'mcp:admin'] },
          { path: '/other', scopes: ['mcp:tools'] },
        ],
        clients: [
          staticClient(CHAT),
          staticClient(OTHER),
          staticClient(NARROW, { scope: 'mcp:tools' }),
          staticClient(POSTING),
          staticClient(CODE_ONLY, {
            grant_types: ['authorization_code', 'refresh_token'],
            redirect_uris: ['https://app.example.com/cb'],
          }),
        ],
        enterprise: {
          trustedIdentityProviders: [
            // The operator's policy: never administration through this provider.
            { issuer: idp.issuer, jwksUri: idp.jwksUri, scopes: ['mcp:tools', 'mcp:resources'] },
            { issuer: partner.issuer, jwksUri: partner.jwksUri, clients: [OTHER.clientId] },
            { issuer: deadJwksIssuer, jwksUri: `${deadJwksIssuer}/jwks` },
            { issuer: brokenJwksIssuer, jwksUri: `${brokenKeys.origin}/jwks` },
            { issuer: deadDiscoveryIssuer },
          ],
          identity: ({ subject }) =>
            subject === 'blocked-user'
              ? { action: 'refuse', reason: 'This user may not use the server.' }
              : { action: 'accept' },
        },
      }),
    });
    logs = captureLogs(t.app);
    for (const client of [CHAT, OTHER, NARROW, CODE_ONLY, POSTING]) {
      secrets.add('client_secret', client.secret);
    }
    secrets.add('client_secret', CHAT_AT_IDP.clientSecret);
    secrets.add('password', ALICE.password);
    // A public client that somehow holds the grant (written straight to the store: neither
    // registration nor the static options would accept it), and one registered over HTTP.
    const stored = await registerClient(t, 'none', { grantTypes: [JWT_BEARER_GRANT_TYPE] });
    publicWithGrant = { clientId: stored.clientId, method: 'none', redirectUris: [] };
    registeredPublic = await register(t, secrets, 'none');
    for (const provider of [idp, partner, rogueIdp]) {
      provider.policy = [
        {
          clientId: CHAT_AT_IDP.clientId,
          audience: t.url,
          resources: [mcp(), `${t.url}/other`],
          scopes: ['mcp:tools', 'mcp:resources', 'mcp:admin'],
        },
      ];
    }
  });

  afterAll(async () => {
    logs?.restore();
    await t?.close();
    for (const provider of [idp, partner, rogueIdp]) await provider?.close();
    await brokenKeys?.stop();
  });

  // ------------------------------------------------------------------------------------------
  // The frame
  // ------------------------------------------------------------------------------------------

  /** One hostile case: runs `attack` and checks what it changed; `setup` runs before. */
  function hostile(
    name: string,
    attack: () => Promise<void>,
    expected: Record<string, TableChange> = NO_CHANGE,
    setup?: () => Promise<void>,
  ): void {
    cases++;
    it(name, async () => {
      await setup?.();
      expect(await changesOf(t.db.dataSource, attack)).toEqual(expected);
    });
  }

  /** The claims of an honest ID-JAG of `idp` for `client` at /mcp, with `overrides`. */
  function claims(overrides: Record<string, unknown> = {}, client = CHAT): Record<string, unknown> {
    return {
      aud: t.url,
      resource: mcp(),
      client_id: client.clientId,
      scope: 'mcp:tools',
      ...overrides,
    };
  }

  /** An ID-JAG minted by `provider` (default `idp`), recorded for the scans. */
  function mint(
    overrides: Record<string, unknown> = {},
    craft: IdJagCraft = {},
    provider: EnterpriseIdp = idp,
  ): string {
    const token = provider.mintIdJag(claims(overrides), craft);
    recordIdJag(token);
    return token;
  }

  function recordIdJag(token: string): void {
    secrets.add('id_jag', token);
    secrets.add('id_jag_signature', token.split('.')[2]);
  }

  function redeem(
    assertion: string | string[] | undefined,
    client: Client = CHAT,
    extra: Record<string, string> = {},
  ): Promise<RawResponse> {
    return http(
      t.url,
      '/token',
      authenticate(client, {
        grant_type: JWT_BEARER_GRANT_TYPE,
        ...(assertion !== undefined ? { assertion } : {}),
        ...extra,
      }),
    );
  }

  /** Redeems and expects `status` / `error`; no token in the answer. */
  async function refused(
    assertion: string | string[] | undefined,
    status: number,
    error: string,
    client: Client = CHAT,
  ): Promise<RawResponse> {
    const response = await redeem(assertion, client);
    expectOAuthJson(response, status, error);
    return response;
  }

  const now = () => Math.floor(Date.now() / 1000);

  // ------------------------------------------------------------------------------------------
  describe('controls: what every case changes one thing of is accepted', () => {
    it('an ID-JAG from the token exchange at the IdP is redeemed (a grant, its jti spent)', async () => {
      const idJag = await obtainIdJag(idp, CHAT_AT_IDP, ALICE, {
        audience: t.url,
        resource: mcp(),
        scope: 'mcp:tools mcp:resources',
      });
      recordIdJag(idJag);
      const changes = await changesOf(t.db.dataSource, async () => {
        const response = await redeem(idJag);
        expect(response.status).toBe(200);
        const tokens = recordTokens(secrets, response.json);
        expect(tokens.refresh_token).toBeUndefined();
        expect(tokens.scope).toBe('mcp:tools mcp:resources');
        expect(decodeJwt(tokens.access_token)).toMatchObject({
          aud: mcp(),
          sub: ALICE.subject,
          client_id: CHAT.clientId,
        });
      });
      expect(changes).toEqual(REDEEMED);
    });

    it('a minted ID-JAG with no craft is redeemed (client_secret_basic and client_secret_post)', async () => {
      for (const client of [CHAT, POSTING]) {
        const response = await redeem(mint({ client_id: client.clientId }), client);
        expect({ client: client.clientId, status: response.status }).toEqual({
          client: client.clientId,
          status: 200,
        });
        recordTokens(secrets, response.json);
      }
    });

    it('an ID-JAG of the partner provider is redeemed by the one client it is trusted for', async () => {
      const response = await redeem(mint({ client_id: OTHER.clientId }, {}, partner), OTHER);
      expect(response.status).toBe(200);
      recordTokens(secrets, response.json);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('explicit typing (RFC 8725 §3.11, ext-auth §5.1): typ oauth-id-jag+jwt', () => {
    hostile('typ JWT', async () => {
      await refused(mint({}, { header: { typ: 'JWT' } }), 400, 'invalid_grant');
    });
    hostile('no typ', async () => {
      await refused(mint({}, { header: { typ: undefined } }), 400, 'invalid_grant');
    });
    hostile('typ at+jwt (an access token type)', async () => {
      await refused(mint({}, { header: { typ: 'at+jwt' } }), 400, 'invalid_grant');
    });
    hostile('typ oauth-id-jag+jwt with trailing text', async () => {
      await refused(mint({}, { header: { typ: 'oauth-id-jag+jwt2' } }), 400, 'invalid_grant');
    });
    hostile(
      'the user’s ID token from the IdP (typ JWT, aud the client) instead of an ID-JAG',
      async () => {
        const idToken = await signInAtIdp(idp, CHAT_AT_IDP, ALICE);
        secrets.add('id_token', idToken);
        await refused(idToken, 400, 'invalid_grant');
      },
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('issuer: trusted, exactly, and its own keys', () => {
    hostile('an honest ID-JAG of an identity provider that is not trusted here', async () => {
      const idJag = await obtainIdJag(rogueIdp, CHAT_AT_IDP, ALICE, {
        audience: t.url,
        resource: mcp(),
      });
      recordIdJag(idJag);
      await refused(idJag, 400, 'invalid_grant');
      // The untrusted provider was never asked for anything by the server.
      expect(rogueIdp.requests.filter((request) => request.method === 'GET')).toEqual([]);
    });
    hostile('a trusted issuer with a trailing slash (compared exactly)', async () => {
      await refused(mint({ iss: `${idp.issuer}/` }), 400, 'invalid_grant');
    });
    hostile('no iss', async () => {
      await refused(mint({ iss: undefined }), 400, 'invalid_grant');
    });
    hostile('iss of one trusted provider, signed by another trusted provider', async () => {
      await refused(
        mint({ iss: idp.issuer }, { header: { kid: partner.currentKid } }, partner),
        400,
        'invalid_grant',
      );
    });
    hostile('a partner ID-JAG presented by a client that provider is not trusted for', async () => {
      await refused(mint({}, {}, partner), 400, 'invalid_grant');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('audience (ext-auth §5.1): our issuer', () => {
    hostile('aud another authorization server', async () => {
      await refused(mint({ aud: 'https://auth.other.example' }), 400, 'invalid_grant');
    });
    hostile('aud the identity provider itself', async () => {
      await refused(mint({ aud: idp.issuer }), 400, 'invalid_grant');
    });
    hostile('aud the MCP endpoint (the resource, not the issuer)', async () => {
      await refused(mint({ aud: mcp() }), 400, 'invalid_grant');
    });
    hostile('aud our issuer with a trailing slash', async () => {
      await refused(mint({ aud: `${t.url}/` }), 400, 'invalid_grant');
    });
    hostile('no aud', async () => {
      await refused(mint({ aud: undefined }), 400, 'invalid_grant');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('the client (ext-auth §5.1): client_id = the authenticated client', () => {
    hostile('another client’s ID-JAG, presented with this client’s credentials', async () => {
      await refused(mint({ client_id: OTHER.clientId }), 400, 'invalid_grant');
    });
    hostile('this client’s ID-JAG, presented by another client', async () => {
      await refused(mint({ client_id: CHAT.clientId }), 400, 'invalid_grant', NARROW);
    });
    hostile('no client_id', async () => {
      await refused(mint({ client_id: undefined }), 400, 'invalid_grant');
    });
    hostile(
      'a client that is not confidential, though the store says it has the grant',
      async () => {
        await refused(
          mint({ client_id: publicWithGrant.clientId }),
          400,
          'unauthorized_client',
          publicWithGrant,
        );
      },
    );
    hostile('a public client registered over HTTP (without the grant)', async () => {
      await refused(
        mint({ client_id: registeredPublic.clientId }),
        400,
        'unauthorized_client',
        registeredPublic,
      );
    });
    hostile('a confidential client registered for the authorization code grant only', async () => {
      await refused(mint({ client_id: CODE_ONLY.clientId }), 400, 'unauthorized_client', CODE_ONLY);
    });
    hostile('a wrong client secret', async () => {
      const response = await http(t.url, '/token', {
        form: { grant_type: JWT_BEARER_GRANT_TYPE, assertion: mint() },
        headers: { authorization: basicAuth(CHAT.clientId, 'wrong-secret-0123456789abcdef') },
      });
      expectOAuthJson(response, 401, 'invalid_client');
    });
    hostile('no client authentication, the client_id in the body', async () => {
      const response = await http(t.url, '/token', {
        form: { grant_type: JWT_BEARER_GRANT_TYPE, assertion: mint(), client_id: CHAT.clientId },
      });
      expectOAuthJson(response, 401, 'invalid_client');
    });
    hostile('no client at all: the ID-JAG alone', async () => {
      const response = await http(t.url, '/token', {
        form: { grant_type: JWT_BEARER_GRANT_TYPE, assertion: mint() },
      });
      expectOAuthJson(response, 401, 'invalid_client');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('time: exp, iat, nbf within a short window', () => {
    hostile('expired', async () => {
      await refused(mint({ iat: now() - 180, exp: now() - 60 }), 400, 'invalid_grant');
    });
    hostile('iat in the future', async () => {
      await refused(mint({ iat: now() + 300, exp: now() + 600 }), 400, 'invalid_grant');
    });
    hostile('a lifetime too long (exp in an hour)', async () => {
      await refused(mint({ exp: now() + 3600 }), 400, 'invalid_grant');
    });
    hostile('issued too long ago (iat an hour back), though not expired', async () => {
      await refused(mint({ iat: now() - 3600, exp: now() + 60 }), 400, 'invalid_grant');
    });
    hostile('nbf in the future', async () => {
      await refused(mint({ nbf: now() + 300 }), 400, 'invalid_grant');
    });
    hostile('no exp', async () => {
      await refused(mint({ exp: undefined }), 400, 'invalid_grant');
    });
    hostile('no iat', async () => {
      await refused(mint({ iat: undefined }), 400, 'invalid_grant');
    });
    hostile('exp not a number', async () => {
      await refused(mint({ exp: String(now() + 60) }), 400, 'invalid_grant');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('jti: single use (RFC 7523 §3)', () => {
    let spent = '';
    hostile(
      'the same ID-JAG again, after it was redeemed',
      async () => {
        await refused(spent, 400, 'invalid_grant');
      },
      NO_CHANGE,
      async () => {
        spent = mint();
        expect((await redeem(spent)).status).toBe(200);
      },
    );
    let spentJti = '';
    hostile(
      'a new ID-JAG reusing a redeemed jti',
      async () => {
        await refused(mint({ jti: spentJti }), 400, 'invalid_grant');
      },
      NO_CHANGE,
      async () => {
        const first = mint();
        spentJti = decodeJwt(first).jti as string;
        expect((await redeem(first)).status).toBe(200);
      },
    );
    hostile(
      'ten concurrent redemptions of one ID-JAG: exactly one succeeds',
      async () => {
        const idJag = mint();
        const responses = await Promise.all(Array.from({ length: 10 }, () => redeem(idJag)));
        const statuses = responses.map((response) => response.status).sort();
        expect(statuses).toEqual([200, ...Array<number>(9).fill(400)]);
        for (const response of responses) {
          if (response.status === 200) recordTokens(secrets, response.json);
          else expectOAuthJson(response, 400, 'invalid_grant');
        }
      },
      REDEEMED,
    );
    hostile(
      'a jti another client already spent (jti is single use per issuer, not per client)',
      async () => {
        const first = mint({ client_id: NARROW.clientId });
        expect((await redeem(first, NARROW)).status).toBe(200);
        await refused(mint({ jti: decodeJwt(first).jti }), 400, 'invalid_grant');
      },
      REDEEMED,
    );
    hostile('no jti', async () => {
      await refused(mint({ jti: undefined }), 400, 'invalid_grant');
    });
    hostile('an empty jti', async () => {
      await refused(mint({ jti: '' }), 400, 'invalid_grant');
    });
    hostile('a jti of 300 characters', async () => {
      await refused(mint({ jti: 'j'.repeat(300) }), 400, 'invalid_grant');
    });
    hostile('a jti that is not a string', async () => {
      await refused(mint({ jti: 12345 }), 400, 'invalid_grant');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('resource: one of ours (RFC 8707)', () => {
    hostile('a resource not served here', async () => {
      await refused(mint({ resource: 'https://mcp.other.example/mcp' }), 400, 'invalid_target');
    });
    hostile('our issuer (an origin, not a resource)', async () => {
      await refused(mint({ resource: t.url }), 400, 'invalid_target');
    });
    hostile('our resource with a fragment', async () => {
      await refused(mint({ resource: `${mcp()}#x` }), 400, 'invalid_target');
    });
    hostile('our resource with user information', async () => {
      await refused(
        mint({ resource: mcp().replace('http://', 'http://user@') }),
        400,
        'invalid_target',
      );
    });
    hostile('a list of resources', async () => {
      await refused(mint({ resource: [mcp()] }), 400, 'invalid_target');
    });
    hostile('no resource', async () => {
      await refused(mint({ resource: undefined }), 400, 'invalid_grant');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('scope: within the client’s and the operator’s limits', () => {
    hostile('beyond the operator’s policy for the provider (mcp:admin)', async () => {
      await refused(mint({ scope: 'mcp:tools mcp:admin' }), 400, 'invalid_scope');
    });
    hostile('beyond the client’s registered scope', async () => {
      await refused(
        mint({ client_id: NARROW.clientId, scope: 'mcp:tools mcp:resources' }),
        400,
        'invalid_scope',
        NARROW,
      );
    });
    hostile('beyond what the resource has (mcp:resources at /other)', async () => {
      await refused(
        mint({ resource: `${t.url}/other`, scope: 'mcp:resources' }),
        400,
        'invalid_scope',
      );
    });
    hostile('a scope unknown here', async () => {
      await refused(mint({ scope: 'mcp:everything' }), 400, 'invalid_scope');
    });
    hostile('offline_access (no refresh token is ever issued for an ID-JAG)', async () => {
      await refused(mint({ scope: 'mcp:tools offline_access' }), 400, 'invalid_scope');
    });
    hostile('a scope claim that is a list, not a string', async () => {
      await refused(mint({ scope: ['mcp:tools'] }), 400, 'invalid_grant');
    });
    hostile('a scope claim with a control character', async () => {
      await refused(mint({ scope: 'mcp:tools\nmcp:admin' }), 400, 'invalid_grant');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('signature: the issuer’s published keys, asymmetric algorithms only', () => {
    hostile('unsigned: alg none', async () => {
      await refused(mint({}, { signWith: 'none' }), 400, 'invalid_grant');
    });
    hostile('alg none with the honest signature left on', async () => {
      const honest = mint();
      const [, payload, signature] = honest.split('.');
      const header = Buffer.from(
        JSON.stringify({ alg: 'none', typ: 'oauth-id-jag+jwt', kid: idp.currentKid }),
      ).toString('base64url');
      await refused(`${header}.${payload}.${signature}`, 400, 'invalid_grant');
    });
    hostile('HS256 with a guessed secret', async () => {
      await refused(mint({}, { signWith: { hmacSecret: 'secret' } }), 400, 'invalid_grant');
    });
    hostile('HS256 keyed with the IdP’s published public key (algorithm confusion)', async () => {
      await refused(mint({}, { signWith: { hmacSecret: idp.publicKeyPem } }), 400, 'invalid_grant');
    });
    hostile('a key not in the issuer’s JWKS, under the published kid', async () => {
      await refused(mint({}, { signWith: 'rogue' }), 400, 'invalid_grant');
    });
    hostile('a key not in the issuer’s JWKS, under a kid of its own', async () => {
      await refused(
        mint({}, { signWith: 'rogue', header: { kid: 'attacker-key-1' } }),
        400,
        'invalid_grant',
      );
    });
    hostile('the attacker’s key embedded in the header (jwk)', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await refused(
        mint(
          {},
          {
            signWith: { privateKey, alg: 'RS256' },
            header: { kid: 'embedded', jwk: await exportJWK(publicKey) },
          },
        ),
        400,
        'invalid_grant',
      );
    });
    hostile(
      'a jku header pointing at the key set of the (untrusted) signer: never fetched',
      async () => {
        const before = rogueIdp.requestsTo('/jwks').length;
        await refused(
          mint({ iss: idp.issuer }, { header: { jku: rogueIdp.jwksUri } }, rogueIdp),
          400,
          'invalid_grant',
        );
        expect(rogueIdp.requestsTo('/jwks')).toHaveLength(before);
      },
    );
    hostile('a crit header naming an extension nobody understands', async () => {
      await refused(
        mint(
          {},
          {
            header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true },
          },
        ),
        400,
        'invalid_grant',
      );
    });
    hostile('the payload changed after signing (a wider scope)', async () => {
      const [header, , signature] = mint().split('.');
      const payload = Buffer.from(
        JSON.stringify({
          ...claims({ scope: 'mcp:tools mcp:resources' }),
          iss: idp.issuer,
          sub: ALICE.subject,
          jti: 'tampered',
          iat: now(),
          exp: now() + 300,
        }),
      ).toString('base64url');
      await refused(`${header}.${payload}.${signature}`, 400, 'invalid_grant');
    });
    hostile('the signature stripped, alg still RS256', async () => {
      const [header, payload] = mint().split('.');
      await refused(`${header}.${payload}.`, 400, 'invalid_grant');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('subject and the identity hook', () => {
    hostile('no sub', async () => {
      await refused(mint({ sub: undefined }), 400, 'invalid_grant');
    });
    hostile('an empty sub', async () => {
      await refused(mint({ sub: '' }), 400, 'invalid_grant');
    });
    hostile('a sub that is not a string', async () => {
      await refused(mint({ sub: 42 }), 400, 'invalid_grant');
    });
    // Verified, so its jti is spent; the host's hook then refuses the user: no grant.
    hostile(
      'a user the identity hook refuses',
      async () => {
        const response = await refused(mint({ sub: 'blocked-user' }), 400, 'invalid_grant');
        expect(response.json?.error_description).toBe('This user may not use the server.');
      },
      JTI_SPENT,
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('the assertion parameter', () => {
    hostile('garbage', async () => {
      await refused('not-a-jwt', 400, 'invalid_grant');
    });
    hostile('three segments of random base64url', async () => {
      await refused('AAAA.BBBB.CCCC', 400, 'invalid_grant');
    });
    hostile('five segments (a JWE shape)', async () => {
      await refused('eyJhbGciOiJSU0EtT0FFUCJ9.AAAA.BBBB.CCCC.DDDD', 400, 'invalid_grant');
    });
    hostile('a header that is JSON but not an object', async () => {
      const header = Buffer.from('["oauth-id-jag+jwt"]').toString('base64url');
      await refused(`${header}.e30.AAAA`, 400, 'invalid_grant');
    });
    hostile(`an assertion over ${MAX_ASSERTION_LENGTH} characters`, async () => {
      const padded = mint({ padding: 'p'.repeat(MAX_ASSERTION_LENGTH) });
      expect(padded.length).toBeGreaterThan(MAX_ASSERTION_LENGTH);
      await refused(padded, 400, 'invalid_request');
    });
    hostile('no assertion', async () => {
      await refused(undefined, 400, 'invalid_request');
    });
    hostile('the assertion twice', async () => {
      const idJag = mint();
      await refused([idJag, idJag], 400, 'invalid_request');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('trusted issuers whose keys cannot be had: retry later, never a token', () => {
    const keysUnavailable = async (issuer: string) => {
      const response = await refused(
        mint({ iss: issuer }, {}, rogueIdp),
        503,
        'temporarily_unavailable',
      );
      expect(response.headers.get('retry-after')).toBe('5');
    };
    hostile('its jwks_uri does not answer', () => keysUnavailable(deadJwksIssuer));
    hostile('its jwks_uri answers 500', () => keysUnavailable(brokenJwksIssuer));
    hostile('its discovery document does not answer (no jwks_uri configured)', () =>
      keysUnavailable(deadDiscoveryIssuer),
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('closing scans', () => {
    it('no mcp_auth_ table holds a client secret, ID token, ID-JAG or access token', async () => {
      expect(secrets.kindsNotSeen(['client_secret', 'id_token', 'id_jag', 'access_token'])).toEqual(
        [],
      );
      for (const token of [...idp.issued, ...partner.issued, ...rogueIdp.issued]) {
        secrets.add('idp_token', token);
      }
      const dump = await dumpModuleTables(t.db.dataSource);
      expect(dump).toContain(CHAT.clientId);
      expect(dump).toContain(ALICE.subject);
      expect(secrets.foundIn(dump)).toEqual([]);
    });

    it('the log output holds none of them', () => {
      const output = logs!.logger.lines.join('\n');
      // The suite did make the app log (the unavailable keys): the capture works.
      expect(output).toMatch(/keys unavailable/);
      expect(secrets.foundIn(output)).toEqual([]);
      expect(output).not.toContain(ALICE.password);
    });

    it(`ran ${EXPECTED_CASES} distinct hostile cases`, () => {
      expect(cases).toBe(EXPECTED_CASES);
    });
  });
});
