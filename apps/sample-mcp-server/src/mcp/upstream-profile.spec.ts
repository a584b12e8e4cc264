import {
  type AuthInfo,
  githubProvider,
  type UpstreamAccessToken,
  type UpstreamProviderOptions,
  UpstreamTokenUnavailableError,
} from '@app/mcp-auth';
import { type UpstreamAccessTokenSource, UpstreamProfileReader } from './upstream-profile';

const AUTH: AuthInfo = {
  token: 'our-access-token',
  clientId: 'client',
  scopes: ['mcp:tools'],
  extra: { sub: 'oidc|alice', gid: 'grant-1' },
};
const OIDC: UpstreamProviderOptions = {
  type: 'oidc',
  id: 'oidc',
  name: 'Acme SSO',
  issuer: 'https://login.example.com/tenant/',
  clientId: 'mcp-server',
};
const GITHUB = githubProvider({ clientId: 'Iv1.abc', clientSecret: 'secret' });
const ALICE = { sub: 'alice-sub', name: 'Alice', email: 'alice@example.com' };

interface Call {
  url: string;
  headers: Record<string, string>;
}

/** A fetch answering from a table of URL → response factory, recording each call. */
function fakeFetch(routes: Record<string, () => Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fake = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input.toString();
    calls.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
    const route = routes[url];
    if (!route) throw new TypeError('fetch failed');
    return route();
  }) as typeof fetch;
  return { fetch: fake, calls };
}

function json(body: unknown, status = 200, type = 'application/json'): () => Response {
  return () => new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
}

function tokens(result: UpstreamAccessToken | Error): UpstreamAccessTokenSource & {
  references: AuthInfo[];
} {
  const references: AuthInfo[] = [];
  return {
    references,
    getAccessToken: async (reference) => {
      references.push(reference);
      if (result instanceof Error) throw result;
      return result;
    },
  };
}

const UPSTREAM = (provider: string): UpstreamAccessToken => ({
  provider,
  accessToken: 'upstream-access-token',
  expiresAt: null,
  scope: null,
});

const DISCOVERY = 'https://login.example.com/tenant/.well-known/openid-configuration';
const USERINFO = 'https://login.example.com/tenant/userinfo';

describe('UpstreamProfileReader (the upstream_profile tool)', () => {
  it('OpenID Connect: finds userinfo_endpoint by discovery (once), reads it with the kept upstream token', async () => {
    const source = tokens(UPSTREAM('oidc'));
    const { fetch, calls } = fakeFetch({
      [DISCOVERY]: json({ issuer: OIDC.issuer, userinfo_endpoint: USERINFO }),
      [USERINFO]: json(ALICE),
    });
    const reader = new UpstreamProfileReader(source, [OIDC, GITHUB], fetch);
    expect(await reader.read(AUTH)).toEqual({ ok: true, provider: 'oidc', profile: ALICE });
    expect(await reader.read(AUTH)).toEqual({ ok: true, provider: 'oidc', profile: ALICE });
    // The caller's request auth names the grant; our own token is never sent upstream.
    expect(source.references).toEqual([AUTH, AUTH]);
    expect(calls.map((call) => call.url)).toEqual([DISCOVERY, USERINFO, USERINFO]);
    expect(calls[1].headers.authorization).toBe('Bearer upstream-access-token');
    expect(JSON.stringify(calls)).not.toContain('our-access-token');
  });

  it('GitHub: its user endpoint, with the User-Agent its API requires', async () => {
    const { fetch, calls } = fakeFetch({
      'https://api.github.com/user': json({ id: 1, login: 'octocat' }),
    });
    const reader = new UpstreamProfileReader(tokens(UPSTREAM('github')), [OIDC, GITHUB], fetch);
    expect(await reader.read(AUTH)).toEqual({
      ok: true,
      provider: 'github',
      profile: { id: 1, login: 'octocat' },
    });
    expect(calls[0].headers).toMatchObject({
      authorization: 'Bearer upstream-access-token',
      'user-agent': 'sample-mcp-server',
    });
  });

  it.each([
    [
      'not_kept',
      /^No upstream access token is kept for this sign-in: sign in with an identity provider/,
    ],
    ['grant_revoked', /^This authorization has been revoked\. Sign in again\.$/],
    ['upstream_revoked', /refused to renew access, so this authorization has been revoked/],
    ['unavailable', /could not renew access just now\. Try again in a moment\./],
  ] as const)(
    'no upstream token (%s): a clear message, nothing fetched',
    async (reason, message) => {
      const { fetch, calls } = fakeFetch({});
      const reader = new UpstreamProfileReader(
        tokens(new UpstreamTokenUnavailableError(reason, 'internal detail')),
        [OIDC],
        fetch,
      );
      const result = await reader.read(AUTH);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).toMatch(message);
      expect(calls).toEqual([]);
    },
  );

  it('tokens that cannot be opened (a key made at start, then a restart): sign in again', async () => {
    const reader = new UpstreamProfileReader(
      tokens(new Error('the upstream tokens were sealed with a key no longer configured')),
      [OIDC],
      fakeFetch({}).fetch,
    );
    expect(await reader.read(AUTH)).toEqual({
      ok: false,
      message:
        'The upstream tokens kept for this sign-in cannot be used: the upstream tokens were sealed with a key no longer configured. Sign in again.',
    });
  });

  it('no verified token on the call', async () => {
    const reader = new UpstreamProfileReader(tokens(UPSTREAM('oidc')), [OIDC], fakeFetch({}).fetch);
    expect(await reader.read(undefined)).toEqual({
      ok: false,
      message: 'This call carries no verified access token.',
    });
  });

  it('a provider no longer configured', async () => {
    const reader = new UpstreamProfileReader(tokens(UPSTREAM('okta')), [OIDC], fakeFetch({}).fetch);
    expect(await reader.read(AUTH)).toEqual({
      ok: false,
      message: 'The identity provider "okta" is no longer configured.',
    });
  });

  it('what the provider answers wrong becomes a message naming it', async () => {
    const cases: [Record<string, () => Response>, RegExp][] = [
      [
        { [DISCOVERY]: json({}, 404) },
        /^Acme SSO could not be asked for your profile: its discovery document answered 404\.$/,
      ],
      [{ [DISCOVERY]: json({ issuer: OIDC.issuer }) }, /it has no userinfo endpoint\.$/],
      [
        { [DISCOVERY]: json({ userinfo_endpoint: 'http://login.example.com/userinfo' }) },
        /its userinfo endpoint is not https\.$/,
      ],
      [
        { [DISCOVERY]: json({ userinfo_endpoint: USERINFO }), [USERINFO]: json({}, 401) },
        /^Acme SSO answered 401 for your profile\.$/,
      ],
      [
        {
          [DISCOVERY]: json({ userinfo_endpoint: USERINFO }),
          [USERINFO]: json('eyJhbGciOi...', 200, 'application/jwt'),
        },
        /^Acme SSO did not answer with a JSON profile\.$/,
      ],
      [
        { [DISCOVERY]: json({ userinfo_endpoint: USERINFO }), [USERINFO]: json(['a']) },
        /did not answer with a JSON profile/,
      ],
      [{}, /^Acme SSO could not be asked for your profile: fetch failed\.$/],
    ];
    for (const [routes, message] of cases) {
      const reader = new UpstreamProfileReader(
        tokens(UPSTREAM('oidc')),
        [OIDC],
        fakeFetch(routes).fetch,
      );
      const result = await reader.read(AUTH);
      expect(!result.ok && result.message).toMatch(message);
    }
  });

  it('a failed discovery is not remembered: the next call discovers again', async () => {
    let up = false;
    const { fetch, calls } = fakeFetch({
      [DISCOVERY]: () => (up ? json({ userinfo_endpoint: USERINFO })() : json({}, 503)()),
      [USERINFO]: json(ALICE),
    });
    const reader = new UpstreamProfileReader(tokens(UPSTREAM('oidc')), [OIDC], fetch);
    expect((await reader.read(AUTH)).ok).toBe(false);
    up = true;
    expect(await reader.read(AUTH)).toMatchObject({ ok: true, profile: ALICE });
    expect(calls.map((call) => call.url)).toEqual([DISCOVERY, DISCOVERY, USERINFO]);
  });

  it('an http userinfo endpoint is accepted from a development provider (allowInsecureHttp)', async () => {
    const local: UpstreamProviderOptions = {
      ...OIDC,
      issuer: 'http://localhost:4000',
      allowInsecureHttp: true,
    };
    const { fetch } = fakeFetch({
      'http://localhost:4000/.well-known/openid-configuration': json({
        userinfo_endpoint: 'http://localhost:4000/me',
      }),
      'http://localhost:4000/me': json(ALICE),
    });
    const reader = new UpstreamProfileReader(tokens(UPSTREAM('oidc')), [local], fetch);
    expect(await reader.read(AUTH)).toMatchObject({ ok: true, profile: ALICE });
  });
});
