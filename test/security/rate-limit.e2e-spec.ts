import { Logger } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { DEFAULT_RATE_LIMITS, type RateLimitOptions } from '@app/mcp-auth';
import { TestBrowser, parseForm } from '../support/browser';
import { createTestApp, type TestApp } from '../support/test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from '../support/test-database';
import {
  authorizeUrl,
  changesOf,
  expectErrorPage,
  expectOAuthJson,
  fullFlow,
  http,
  pkce,
  refreshWith,
  register,
  REDIRECT_URI,
  SecretRegistry,
  type RawResponse,
} from './support/harness';

/**
 * Abuse limits: per-endpoint, per-address rate limits on @nestjs/throttler, set
 * through the module's `rateLimit` option (undefined = the defaults).
 */
describe('Security: rate limits', () => {
  let db: TestDatabase;
  const secrets = new SecretRegistry();
  const apps: TestApp[] = [];

  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.close();
  });

  async function appWith(
    rateLimit: RateLimitOptions | undefined,
    issuer?: string,
    trustProxy?: 'loopback',
  ): Promise<TestApp> {
    const app = await createTestApp({
      db,
      trustProxy,
      auth: () => ({ rateLimit, ...(issuer ? { issuer } : {}) }),
    });
    Logger.overrideLogger(['error']);
    apps.push(app);
    return app;
  }

  const registration = (app: { url: string }, headers: Record<string, string> = {}) =>
    http(app.url, '/register', {
      jsonBody: {
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      },
      headers,
    });

  function expectLimited(response: RawResponse, ttl: number): void {
    expectOAuthJson(response, 429, 'temporarily_unavailable');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(ttl);
  }

  describe('per endpoint', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await appWith({
        register: { limit: 3, ttl: 60 },
        token: { limit: 5, ttl: 60 },
        authorize: { limit: 4, ttl: 60 },
        interaction: { limit: 3, ttl: 60 },
        introspect: { limit: 2, ttl: 30 },
        revoke: false,
      });
    });

    it('registration: the 4th within the window is 429 temporarily_unavailable with Retry-After, and stores nothing', async () => {
      for (let i = 0; i < 3; i++) expect((await registration(t)).status).toBe(201);
      const changes = await changesOf(db.dataSource, async () => {
        const limited = await registration(t);
        expectLimited(limited, 60);
        // Readable by browser clients (AS-8).
        expect(limited.headers.get('access-control-allow-origin')).toBe('*');
        expect(limited.headers.get('access-control-expose-headers')).toBe('Retry-After');
        expectLimited(await registration(t), 60);
      });
      expect(changes).toEqual({});
    });

    it('CORS preflights are not counted', async () => {
      const preflight = await http(t.url, '/register', { method: 'OPTIONS' });
      expect(preflight.status).toBe(204);
    });

    it('token: refused requests count too; the 6th is 429', async () => {
      const form = {
        grant_type: 'authorization_code',
        code: 'x',
        code_verifier: 'v'.repeat(43),
        client_id: 'nobody',
      };
      for (let i = 0; i < 5; i++) expect((await http(t.url, '/token', { form })).status).toBe(401);
      expectLimited(await http(t.url, '/token', { form }), 60);
    });

    it('introspection has its own budget and window', async () => {
      const form = { token: 'x', client_id: 'nobody' };
      for (let i = 0; i < 2; i++)
        expect((await http(t.url, '/introspect', { form })).status).toBe(401);
      expectLimited(await http(t.url, '/introspect', { form }), 30);
    });

    it('an endpoint set to false is not limited', async () => {
      for (let i = 0; i < 15; i++) {
        expect(
          (await http(t.url, '/revoke', { form: { token: 'x', client_id: 'nobody' } })).status,
        ).toBe(401);
      }
    });

    it('/authorize answers a 429 page with Retry-After, never a redirect', async () => {
      // Registration is exhausted on this app; an unknown client's requests count the same.
      const url = authorizeUrl(
        t,
        { clientId: 'unknown-client', redirectUris: [REDIRECT_URI] },
        { code_challenge: pkce().challenge },
      );
      for (let i = 0; i < 4; i++)
        expect((await http(t.url, url.replace(t.url, ''))).status).toBeLessThan(429);
      const limited = await http(t.url, url.replace(t.url, ''));
      expectErrorPage(limited, 429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.text).toContain('Too many requests');
    });

    it('login and consent posts answer a 429 page (bounds password guessing per address)', async () => {
      const id = 'A'.repeat(43);
      for (let i = 0; i < 3; i++) {
        expect(
          (
            await http(t.url, `/interaction/${id}/login`, {
              form: { username: 'a', password: 'b' },
            })
          ).status,
        ).toBe(400);
      }
      expectErrorPage(
        await http(t.url, `/interaction/${id}/login`, { form: { username: 'a', password: 'b' } }),
        429,
      );
    });

    it('routes that are not limited stay untouched', async () => {
      for (let i = 0; i < 10; i++) {
        expect((await http(t.url, '/.well-known/oauth-authorization-server')).status).toBe(200);
      }
    });
  });

  describe('keyed on the client address', () => {
    it('behind a trusted proxy, X-Forwarded-For separates clients', async () => {
      const t = await appWith({ register: { limit: 2, ttl: 60 } }, undefined, 'loopback');
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      for (let i = 0; i < 2; i++)
        expect((await registration(t, from('203.0.113.1'))).status).toBe(201);
      expectLimited(await registration(t, from('203.0.113.1')), 60);
      // Another client behind the same proxy is not locked out.
      expect((await registration(t, from('203.0.113.2'))).status).toBe(201);
    });

    it('without trust proxy a forged X-Forwarded-For does not buy a fresh budget', async () => {
      const t = await appWith({ register: { limit: 2, ttl: 60 } });
      for (let i = 0; i < 2; i++)
        expect((await registration(t, { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(201);
      expectLimited(await registration(t, { 'x-forwarded-for': '198.51.100.99' }), 60);
    });

    it('getTracker can key on something else', async () => {
      const t = await appWith({
        register: { limit: 1, ttl: 60 },
        getTracker: (request) => String(request.headers['x-tenant'] ?? 'none'),
      });
      expect((await registration(t, { 'x-tenant': 'a' })).status).toBe(201);
      expectLimited(await registration(t, { 'x-tenant': 'a' }), 60);
      expect((await registration(t, { 'x-tenant': 'b' })).status).toBe(201);
    });
  });

  it('instances sharing a storage share their counters', async () => {
    const storage = new ThrottlerStorageService();
    const first = await appWith({ register: { limit: 3, ttl: 60 }, storage });
    const second = await appWith({ register: { limit: 3, ttl: 60 }, storage }, first.url);
    expect((await registration(first)).status).toBe(201);
    expect((await registration(second)).status).toBe(201);
    expect((await registration(first)).status).toBe(201);
    expectLimited(await registration(second), 60);
    expectLimited(await registration(first), 60);
    storage.onApplicationShutdown();
  });

  it('rateLimit: false disables every limit', async () => {
    const t = await appWith(false);
    const statuses = await Promise.all(Array.from({ length: 40 }, () => registration(t)));
    expect(statuses.every((response) => response.status === 201)).toBe(true);
  });

  it('the defaults let ten MCP clients connect from one address without a single 429', async () => {
    const t = await appWith(undefined);
    for (let i = 0; i < 10; i++) {
      const client = await register(t, secrets, 'none');
      const tokens = await fullFlow(t, client, secrets);
      expect((await refreshWith(t, client, tokens.refresh_token!)).status).toBe(200);
    }
    // …while a registration flood from that address is stopped after the documented budget.
    const flood = await Promise.all(
      Array.from({ length: DEFAULT_RATE_LIMITS.register.limit }, () => registration(t)),
    );
    expect(flood.filter((response) => response.status === 429).length).toBe(10);
  });

  it('the login page of a limited app still works for a person (sanity)', async () => {
    const t = await appWith({ interaction: { limit: 10, ttl: 60 } });
    const client = await register(t, secrets, 'none');
    const browser = new TestBrowser(t.url);
    const step = await browser.navigate(
      authorizeUrl(t, client, { code_challenge: pkce().challenge }),
    );
    expect(parseForm(step.html ?? '')?.fields).toContain('password');
  });
});
