import { Logger } from '@nestjs/common';
import type { RateLimitedEndpoint } from '@app/mcp-auth';
import { TestBrowser, parseForm } from '../support/browser';
import { itIf } from '../support/skip';
import { createTestApp, TEST_HTTP_ADAPTER, type TestApp } from '../support/test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from '../support/test-database';
import {
  authorizeUrl,
  changesOf,
  expectErrorPage,
  expectOAuthJson,
  http,
  pkce,
  register,
  SecretRegistry,
  type RawResponse,
} from './support/harness';

const LIMIT = 4;

/** Spellings of a path other than its own: case and one trailing slash. */
function otherSpellings(path: string): string[] {
  const mixed = path.replace(/\/(\w)/g, (_, first: string) => `/${first.toUpperCase()}`);
  return [path.toUpperCase(), mixed, `${path}/`, `${mixed.toUpperCase()}/`];
}

/**
 * Every spelling the router serves with the same handler. Express (by default) ignores case and
 * one trailing slash; Fastify (by default) routes only the path as written, and answers every
 * other spelling 404 before any handler runs.
 */
function spellings(path: string): string[] {
  return TEST_HTTP_ADAPTER === 'fastify' ? [path] : [path, ...otherSpellings(path)];
}

/**
 * Limits count per handler, not per spelling of the path (Express routes case-insensitively
 * and accepts a trailing slash): every limited endpoint reaches 429 at the same count under
 * every spelling, and mixed spellings share one budget. Each case runs from its own client
 * address (X-Forwarded-For behind a trusted proxy), so budgets never leak between cases.
 */
describe('Security: rate limits hold whatever the spelling of the path', () => {
  let db: TestDatabase;
  let t: TestApp;
  const secrets = new SecretRegistry();
  let nextAddress = 1;
  const freshAddress = (): Record<string, string> => ({
    'x-forwarded-for': `203.0.113.${nextAddress++}`,
  });

  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
    const rule = { limit: LIMIT, ttl: 60 };
    t = await createTestApp({
      db,
      trustProxy: 'loopback',
      auth: () => ({
        rateLimit: {
          register: rule,
          authorize: rule,
          interaction: rule,
          token: rule,
          revoke: rule,
          introspect: rule,
        },
      }),
    });
    Logger.overrideLogger(['error']);
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  // An unknown interaction: answered 400 below the limit, counted all the same.
  const interactionPath = `/interaction/${'A'.repeat(43)}/login`;
  const authorizePath = '/authorize?response_type=code&client_id=unknown-client';

  /** One request to an endpoint under a spelling, and how its answer (below the limit) looks. */
  const ENDPOINTS: Record<
    RateLimitedEndpoint,
    {
      path: string;
      send: (path: string, headers: Record<string, string>) => Promise<RawResponse>;
      expectAnswer: (response: RawResponse) => void;
    }
  > = {
    register: {
      path: '/register',
      send: (path, headers) => http(t.url, path, { jsonBody: {}, headers }),
      expectAnswer: (response) => expectOAuthJson(response, 400, 'invalid_redirect_uri'),
    },
    token: {
      path: '/token',
      send: (path, headers) =>
        http(t.url, path, {
          form: { grant_type: 'authorization_code', code: 'x', client_id: 'nobody' },
          headers,
        }),
      expectAnswer: (response) => expectOAuthJson(response, 401, 'invalid_client'),
    },
    revoke: {
      path: '/revoke',
      send: (path, headers) =>
        http(t.url, path, { form: { token: 'x', client_id: 'nobody' }, headers }),
      expectAnswer: (response) => expectOAuthJson(response, 401, 'invalid_client'),
    },
    introspect: {
      path: '/introspect',
      send: (path, headers) =>
        http(t.url, path, { form: { token: 'x', client_id: 'nobody' }, headers }),
      expectAnswer: (response) => expectOAuthJson(response, 401, 'invalid_client'),
    },
    authorize: {
      path: '/authorize',
      send: (path, headers) => http(t.url, authorizePath.replace('/authorize', path), { headers }),
      expectAnswer: (response) => expectErrorPage(response, 400),
    },
    interaction: {
      path: interactionPath,
      send: (path, headers) =>
        http(t.url, path, {
          form: { username: 'alice', password: 'wrong' },
          headers,
        }),
      expectAnswer: (response) => expectErrorPage(response, 400),
    },
  };

  function expectLimited(endpoint: RateLimitedEndpoint, response: RawResponse): void {
    if (endpoint === 'authorize' || endpoint === 'interaction') {
      expectErrorPage(response, 429);
    } else {
      expectOAuthJson(response, 429, 'temporarily_unavailable');
    }
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  }

  describe.each(Object.keys(ENDPOINTS) as RateLimitedEndpoint[])('%s', (endpoint) => {
    const { path, send, expectAnswer } = ENDPOINTS[endpoint];

    it.each(spellings(path))(
      `every request spelled %s counts: the ${LIMIT + 1}th is 429, and nothing is stored`,
      async (spelling) => {
        const from = freshAddress();
        const changes = await changesOf(db.dataSource, async () => {
          for (let i = 0; i < LIMIT; i++) expectAnswer(await send(spelling, from));
          expectLimited(endpoint, await send(spelling, from));
        });
        expect(changes).toEqual({});
      },
    );

    itIf(TEST_HTTP_ADAPTER === 'fastify', 'only Express routes other spellings')(
      'spellings the router does not route are 404 and store nothing',
      async () => {
        const from = freshAddress();
        const changes = await changesOf(db.dataSource, async () => {
          for (const spelling of otherSpellings(path)) {
            expect((await send(spelling, from)).status).toBe(404);
          }
        });
        expect(changes).toEqual({});
      },
    );

    it('mixed spellings share one budget', async () => {
      const from = freshAddress();
      const variants = spellings(path);
      for (let i = 0; i < LIMIT; i++) expectAnswer(await send(variants[i % variants.length], from));
      for (const spelling of variants) expectLimited(endpoint, await send(spelling, from));
    });
  });

  itIf(TEST_HTTP_ADAPTER === 'express', 'Fastify does not route /Interaction/ at all')(
    'password guessing on /Interaction/<id>/login stops at the limit, and then the right password is refused too',
    async () => {
      const from = freshAddress();
      const client = await register(t, secrets, 'none');
      const browser = new TestBrowser(t.url);
      const login = await browser.navigate(
        authorizeUrl(t, client, { code_challenge: pkce().challenge }),
      );
      const form = parseForm(login.html ?? '');
      expect(form?.fields).toContain('password');
      const action = new URL(form!.action, login.url);
      const shouted = `${t.url}${action.pathname.replace('/interaction/', '/Interaction/')}`;
      const attempt = (password: string) =>
        browser.request(shouted, {
          form: { csrf: form!.csrf, username: 'alice', password },
          headers: from,
        });
      for (let i = 0; i < LIMIT; i++) expect((await attempt(`guess-${i}`)).status).toBe(401);
      expect((await attempt('alice-password')).status).toBe(429);
      // The canonical spelling is in the same budget.
      const canonical = await browser.request(action.toString(), {
        form: { csrf: form!.csrf, username: 'alice', password: 'alice-password' },
        headers: from,
      });
      expect(canonical.status).toBe(429);
    },
  );
});
