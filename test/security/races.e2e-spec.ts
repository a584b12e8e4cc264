import { Logger } from '@nestjs/common';
import { TestBrowser } from '../support/browser';
import type { TestApp } from '../support/test-app';
import {
  changesOf,
  createSecurityApp,
  expectOAuthJson,
  fullFlow,
  http,
  introspect,
  obtainCode,
  pkce,
  recordTokens,
  redeem,
  refreshWith,
  register,
  REDIRECT_URI,
  SecretRegistry,
  type Client,
  resourceServer,
} from './support/harness';

/**
 * Races. Outcomes are asserted exactly:
 *
 * - 50 concurrent redemptions of one code: one 200, 49 `invalid_grant`; the losers are
 *   replays, so the grant is revoked and the winner's tokens stop working too (AS-19,
 *   node-oidc-provider semantics). Every loser sees the code already consumed (the atomic
 *   UPDATE makes the others wait for the winner's row lock), so at least one of them revokes.
 * - 50 concurrent refreshes of one refresh token: one rotation, 49 `invalid_grant`. What
 *   happens to the winner depends on `tokens.refreshReuseGraceSeconds`:
 *   - 0 (the default today): the losers are reuse of a rotated token, the family is revoked, the
 *     winner's new pair dies as well. Zero usable pairs: a client that refreshes in parallel
 *     must authorize again.
 *   - > 0: reuse inside the window is refused without revoking: exactly one usable pair, the
 *     winner's. Reuse after the window still revokes the family.
 */
describe('Security: races', () => {
  let t: TestApp;
  const secrets = new SecretRegistry();
  let introspector: Client;

  beforeAll(async () => {
    // Explicit, so these outcomes do not depend on the default grace window.
    t = await createSecurityApp({ auth: () => ({ tokens: { refreshReuseGraceSeconds: 0 } }) });
    // Replays and reuse are warnings by design; keep the output readable.
    Logger.overrideLogger(['error']);
    introspector = resourceServer(secrets);
  });
  afterAll(() => t?.close());

  it('50 concurrent redemptions of one code: exactly one success, then the grant is revoked', async () => {
    const client = await register(t, secrets, 'none');
    const obtained = await obtainCode(t, client, secrets);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => redeem(t, client, obtained)),
    );

    const winners = responses.filter((response) => response.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of responses.filter((response) => response.status !== 200)) {
      expectOAuthJson(loser, 400, 'invalid_grant');
    }
    const tokens = recordTokens(secrets, winners[0].json);
    const grant = await t.db.dataSource.query<{ revoked_reason: string | null }[]>(
      `SELECT revoked_reason FROM mcp_auth_grants g JOIN mcp_auth_authorization_codes c
         ON c.grant_id = g.id WHERE c.client_id = $1`,
      [client.clientId],
    );
    expect(grant).toEqual([{ revoked_reason: 'code_replay' }]);
    expect(await introspect(t, introspector, tokens.access_token)).toEqual({ active: false });
    expectOAuthJson(await refreshWith(t, client, tokens.refresh_token!), 400, 'invalid_grant');
    // Exactly one refresh token was ever issued for the grant.
    const issued = await t.db.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM mcp_auth_refresh_tokens WHERE client_id = $1',
      [client.clientId],
    );
    expect(issued[0].n).toBe(1);
  });

  async function refreshRace(app: TestApp) {
    const client = await register(app, secrets, 'none');
    const tokens = await fullFlow(app, client, secrets);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => refreshWith(app, client, tokens.refresh_token!)),
    );
    const winners = responses.filter((response) => response.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of responses.filter((response) => response.status !== 200)) {
      expectOAuthJson(loser, 400, 'invalid_grant');
    }
    return { client, original: tokens, winner: recordTokens(secrets, winners[0].json) };
  }

  it('50 concurrent refreshes, grace 0 (node-oidc-provider semantics): one rotation, then the family is revoked; no pair survives', async () => {
    const { client, winner } = await refreshRace(t);
    expectOAuthJson(await refreshWith(t, client, winner.refresh_token!), 400, 'invalid_grant');
    expect(await introspect(t, introspector, winner.access_token)).toEqual({ active: false });
    const grants = await t.db.dataSource.query<{ revoked_reason: string | null }[]>(
      'SELECT revoked_reason FROM mcp_auth_grants WHERE client_id = $1',
      [client.clientId],
    );
    expect(grants).toEqual([{ revoked_reason: 'refresh_token_reuse' }]);
  });

  describe('with tokens.refreshReuseGraceSeconds', () => {
    let graced: TestApp;
    let graceIntrospector: Client;
    beforeAll(async () => {
      graced = await createSecurityApp({
        db: t.db,
        auth: () => ({ tokens: { refreshReuseGraceSeconds: 5 } }),
      });
      graceIntrospector = resourceServer(secrets);
    });
    afterAll(() => graced?.close());

    it('50 concurrent refreshes inside the window: exactly one new pair, and it stays usable', async () => {
      const { client, winner } = await refreshRace(graced);
      expect(await introspect(graced, graceIntrospector, winner.access_token)).toMatchObject({
        active: true,
      });
      const next = await refreshWith(graced, client, winner.refresh_token!);
      expect(next.status).toBe(200);
      recordTokens(secrets, next.json);
      const grants = await graced.db.dataSource.query<{ revoked_at: Date | null }[]>(
        'SELECT revoked_at FROM mcp_auth_grants WHERE client_id = $1',
        [client.clientId],
      );
      expect(grants).toEqual([{ revoked_at: null }]);
    });

    it('reuse after the window still revokes the family', async () => {
      const short = await createSecurityApp({
        db: t.db,
        auth: () => ({ tokens: { refreshReuseGraceSeconds: 1 } }),
      });
      try {
        const client = await register(short, secrets, 'none');
        const tokens = await fullFlow(short, client, secrets);
        const rotated = recordTokens(
          secrets,
          (await refreshWith(short, client, tokens.refresh_token!)).json,
        );
        await new Promise((resolve) => setTimeout(resolve, 1300));
        expectOAuthJson(
          await refreshWith(short, client, tokens.refresh_token!),
          400,
          'invalid_grant',
        );
        expectOAuthJson(
          await refreshWith(short, client, rotated.refresh_token!),
          400,
          'invalid_grant',
        );
      } finally {
        await short.close();
      }
    });
  });

  it('200 concurrent registrations: all succeed, no duplicate client_id', async () => {
    let bodies: Record<string, unknown>[] = [];
    const changes = await changesOf(t.db.dataSource, async () => {
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          http(t.url, '/register', {
            jsonBody: {
              redirect_uris: [REDIRECT_URI],
              token_endpoint_auth_method: i % 2 ? 'none' : 'client_secret_post',
              application_type: 'native',
              client_name: `concurrent ${i}`,
            },
          }),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(200).fill(201));
      bodies = responses.map((response) => response.json ?? {});
    });
    expect(new Set(bodies.map((body) => body.client_id)).size).toBe(200);
    expect(new Set(bodies.filter((b) => b.client_secret).map((b) => b.client_secret)).size).toBe(
      100,
    );
    expect(changes).toEqual({ clients: { added: 200, removed: 0, changed: 0 } });
  });

  it('200 concurrent authorizations end to end: 200 distinct codes, 200 token pairs, no errors', async () => {
    const clients = await Promise.all(
      Array.from({ length: 200 }, () => register(t, secrets, 'none')),
    );
    const results = await Promise.all(
      clients.map(async (client) => {
        const obtained = await obtainCode(t, client, secrets, { browser: new TestBrowser(t.url) });
        const response = await redeem(t, client, obtained);
        return {
          code: obtained.code,
          status: response.status,
          tokens: recordTokens(secrets, response.json),
        };
      }),
    );
    expect(results.map((result) => result.status)).toEqual(Array(200).fill(200));
    expect(new Set(results.map((result) => result.code)).size).toBe(200);
    expect(new Set(results.map((result) => result.tokens.refresh_token)).size).toBe(200);
    expect(new Set(results.map((result) => result.tokens.access_token)).size).toBe(200);
    const counts = await t.db.dataSource.query<
      { codes: number; grants: number; requests: number }[]
    >(
      `SELECT (SELECT count(*)::int FROM mcp_auth_authorization_codes WHERE client_id = ANY($1)) AS codes,
              (SELECT count(*)::int FROM mcp_auth_grants WHERE client_id = ANY($1) AND revoked_at IS NULL) AS grants,
              (SELECT count(*)::int FROM mcp_auth_authorization_requests WHERE client_id = ANY($1)) AS requests`,
      [clients.map((client) => client.clientId)],
    );
    expect(counts[0]).toEqual({ codes: 200, grants: 200, requests: 200 });
  });

  it('200 concurrent /authorize requests from one browser: 200 distinct interactions', async () => {
    const client = await register(t, secrets, 'none');
    const browser = new TestBrowser(t.url);
    // One request first so the browser holds its binding cookie.
    const authorize = (state: string) =>
      `${t.url}/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: REDIRECT_URI,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        state,
      }).toString()}`;
    await browser.request(authorize('first'));
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => browser.request(authorize('s'))),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(200).fill(302));
    const locations = responses.map((response) => response.headers.get('location'));
    expect(new Set(locations).size).toBe(200);
    expect(locations.every((location) => location?.startsWith(`${t.url}/interaction/`))).toBe(true);
  });
});
