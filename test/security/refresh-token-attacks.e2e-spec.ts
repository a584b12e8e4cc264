import type { TestApp } from '../support/test-app';
import { hashSecret } from '../support/secrets';
import {
  authenticate,
  changesOf,
  expectOAuthJson,
  fullFlow,
  http,
  introspect,
  recordTokens,
  refreshWith,
  type Client,
} from './support/harness';
import {
  NO_CHANGE,
  GRANT_REVOKED,
  scanForSecrets,
  useAttackBattery,
} from './support/attack-battery';

/**
 * Refresh tokens (AS-23): reuse of a rotated token revokes the family; scope widening, another
 * resource, another client, unknown or revoked or expired tokens are refused and change
 * nothing.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: refresh token attacks', () => {
  const battery = useAttackBattery();
  const { secrets, hostile, countCases } = battery;
  let t: TestApp;
  let publicClient: Client;
  let basic: Client;
  let post: Client;
  let introspector: Client;
  beforeAll(() => {
    ({ t, publicClient, basic, post, introspector } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('refresh tokens (AS-23)', () => {
    it('reuse of a rotated token revokes the family: the newest refresh and access tokens die', async () => {
      const tokens = await fullFlow(t, publicClient, secrets);
      const rotated = await refreshWith(t, publicClient, tokens.refresh_token!);
      expect(rotated.status).toBe(200);
      const newest = recordTokens(secrets, rotated.json);

      const changes = await changesOf(t.db.dataSource, async () => {
        expectOAuthJson(
          await refreshWith(t, publicClient, tokens.refresh_token!),
          400,
          'invalid_grant',
        );
      });
      expect(changes).toEqual(GRANT_REVOKED);
      expectOAuthJson(
        await refreshWith(t, publicClient, newest.refresh_token!),
        400,
        'invalid_grant',
      );
      expect(await introspect(t, introspector, newest.access_token)).toEqual({ active: false });
    });
    countCases();

    describe('refused refreshes change nothing', () => {
      let tokens: Awaited<ReturnType<typeof fullFlow>>;
      beforeAll(async () => {
        tokens = await fullFlow(t, basic, secrets);
      });
      for (const [label, attack, error, status] of [
        [
          'scope widening',
          () => refreshWith(t, basic, tokens.refresh_token!, { scope: 'mcp:tools mcp:admin' }),
          'invalid_scope',
          400,
        ],
        [
          'an unknown scope',
          () => refreshWith(t, basic, tokens.refresh_token!, { scope: 'root' }),
          'invalid_scope',
          400,
        ],
        [
          'a malformed scope',
          () => refreshWith(t, basic, tokens.refresh_token!, { scope: 'a"b' }),
          'invalid_scope',
          400,
        ],
        [
          'another resource',
          () => refreshWith(t, basic, tokens.refresh_token!, { resource: `${t.url}/other` }),
          'invalid_target',
          400,
        ],
        [
          'an unserved resource',
          () =>
            refreshWith(t, basic, tokens.refresh_token!, { resource: 'https://evil.example/mcp' }),
          'invalid_target',
          400,
        ],
        [
          'another client (confidential)',
          () => refreshWith(t, post, tokens.refresh_token!),
          'invalid_grant',
          400,
        ],
        [
          'another client (public)',
          () => refreshWith(t, publicClient, tokens.refresh_token!),
          'invalid_grant',
          400,
        ],
        [
          'a repeated refresh_token',
          () =>
            refreshWith(t, basic, tokens.refresh_token!, {
              refresh_token: [tokens.refresh_token!, 'x'],
            }),
          'invalid_request',
          400,
        ],
        [
          'an unknown refresh token',
          () => refreshWith(t, basic, 'B'.repeat(43)),
          'invalid_grant',
          400,
        ],
        [
          'an access token used as refresh token',
          () => refreshWith(t, basic, tokens.access_token),
          'invalid_grant',
          400,
        ],
        [
          'no client authentication',
          () =>
            http(t.url, '/token', {
              form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
            }),
          'invalid_client',
          401,
        ],
      ] as const) {
        hostile(`${label}: ${error}`, async () => {
          expectOAuthJson(await attack(), status, error);
        });
      }
      it('…and the refresh token still rotates afterwards', async () => {
        const response = await refreshWith(t, basic, tokens.refresh_token!);
        expect(response.status).toBe(200);
        recordTokens(secrets, response.json);
      });
    });

    it('after revocation at /revoke the refresh is refused and changes nothing', async () => {
      const tokens = await fullFlow(t, basic, secrets);
      const revoked = await http(
        t.url,
        '/revoke',
        authenticate(basic, { token: tokens.refresh_token! }),
      );
      expect(revoked.status).toBe(200);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectOAuthJson(await refreshWith(t, basic, tokens.refresh_token!), 400, 'invalid_grant');
      });
      expect(changes).toEqual(NO_CHANGE);
      expect(await introspect(t, introspector, tokens.access_token)).toEqual({ active: false });
    });

    it('an expired refresh token is refused and changes nothing', async () => {
      const tokens = await fullFlow(t, basic, secrets);
      await t.db.dataSource.query(
        `UPDATE mcp_auth_refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
        [hashSecret(tokens.refresh_token!)],
      );
      const changes = await changesOf(t.db.dataSource, async () => {
        expectOAuthJson(await refreshWith(t, basic, tokens.refresh_token!), 400, 'invalid_grant');
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    countCases(2);
  });

  scanForSecrets(battery, 14);
});
