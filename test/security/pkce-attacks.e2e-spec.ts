import type { TestApp } from '../support/test-app';
import {
  authorizeUrl,
  changesOf,
  expectOAuthJson,
  obtainCode,
  pkce,
  recordTokens,
  redeem,
  REDIRECT_URI,
  type Client,
} from './support/harness';
import { NO_CHANGE, scanForSecrets, useAttackBattery } from './support/attack-battery';

/**
 * PKCE at /authorize and at the token endpoint (AS-13): malformed, missing, repeated or
 * downgraded challenges and verifiers, a verifier of another request.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: PKCE attacks', () => {
  const battery = useAttackBattery();
  const { secrets, hostile, get, expectRedirectError, countCases } = battery;
  let t: TestApp;
  let publicClient: Client;
  beforeAll(() => {
    ({ t, publicClient } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('PKCE (AS-13)', () => {
    hostile('authorize without code_challenge is refused on the redirect URI', async () => {
      const url = authorizeUrl(t, publicClient, { code_challenge: undefined });
      expectRedirectError(await get(url), REDIRECT_URI, 'invalid_request');
    });

    for (const [label, params] of [
      ['code_challenge_method=plain', { code_challenge_method: 'plain' }],
      ['no code_challenge_method (plain by default)', { code_challenge_method: undefined }],
      ['lowercase s256', { code_challenge_method: 's256' }],
      ['a 42-character challenge', { code_challenge: 'a'.repeat(42) }],
      ['a 129-character challenge', { code_challenge: 'a'.repeat(129) }],
      ['a challenge with base64 +/= characters', { code_challenge: `${'a'.repeat(40)}+/=` }],
      [
        'a challenge that is not 43 characters of SHA-256 output',
        { code_challenge: 'a'.repeat(64) },
      ],
    ] as const) {
      hostile(`authorize with ${label} is invalid_request`, async () => {
        const url = authorizeUrl(t, publicClient, { code_challenge: pkce().challenge, ...params });
        expectRedirectError(await get(url), REDIRECT_URI, 'invalid_request');
      });
    }

    hostile('authorize with a repeated code_challenge is invalid_request', async () => {
      const url = new URL(authorizeUrl(t, publicClient, { code_challenge: pkce().challenge }));
      url.searchParams.append('code_challenge', pkce().challenge);
      expectRedirectError(await get(url.toString()), REDIRECT_URI, 'invalid_request');
    });

    describe('at the token endpoint', () => {
      let obtained: Awaited<ReturnType<typeof obtainCode>>;
      beforeAll(async () => {
        obtained = await obtainCode(t, publicClient, secrets);
      });

      for (const [label, verifier] of [
        ['a verifier with invalid characters', `${'a'.repeat(43)}+/`],
        ['a verifier with a space', `${'a'.repeat(43)} b`],
        ['a verifier with non-ASCII characters', `${'a'.repeat(43)}é`],
        ['a 42-character verifier', 'a'.repeat(42)],
        ['a 129-character verifier', 'a'.repeat(129)],
      ] as const) {
        hostile(`${label} is invalid_request and does not burn the code`, async () => {
          expectOAuthJson(
            await redeem(t, publicClient, obtained, { code_verifier: verifier }),
            400,
            'invalid_request',
          );
        });
      }

      hostile('no verifier (a downgrade to no PKCE) is invalid_request, code kept', async () => {
        expectOAuthJson(
          await redeem(t, publicClient, obtained, { code_verifier: '' }),
          400,
          'invalid_request',
        );
      });

      hostile('a repeated code_verifier is invalid_request, code kept', async () => {
        expectOAuthJson(
          await redeem(t, publicClient, obtained, {
            code_verifier: [obtained.verifier, obtained.verifier],
          }),
          400,
          'invalid_request',
        );
      });

      it('the code still redeems with the right verifier after all of the above', async () => {
        const response = await redeem(t, publicClient, obtained);
        expect(response.status).toBe(200);
        recordTokens(secrets, response.json);
      });
    });

    countCases();
    it('a well-formed but wrong verifier: invalid_grant, nothing changed, the code still works for its holder', async () => {
      const obtained = await obtainCode(t, publicClient, secrets);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectOAuthJson(
          await redeem(t, publicClient, obtained, { code_verifier: pkce().verifier }),
          400,
          'invalid_grant',
        );
      });
      expect(changes).toEqual(NO_CHANGE);
      const rightful = await redeem(t, publicClient, obtained);
      expect(rightful.status).toBe(200);
      recordTokens(secrets, rightful.json);
    });

    it('challenge reuse across requests: a shared challenge yields independent single-use codes', async () => {
      const pair = pkce();
      const first = await obtainCode(t, publicClient, secrets, { pkce: pair });
      const second = await obtainCode(t, publicClient, secrets, { pkce: pair });
      expect(first.code).not.toBe(second.code);
      const a = await redeem(t, publicClient, first);
      const b = await redeem(t, publicClient, second);
      expect([a.status, b.status]).toEqual([200, 200]);
      recordTokens(secrets, a.json);
      recordTokens(secrets, b.json);
      // Each is still single-use.
      expectOAuthJson(await redeem(t, publicClient, first), 400, 'invalid_grant');
    });

    it("a verifier of another authorization request is refused (another request's PKCE)", async () => {
      const first = await obtainCode(t, publicClient, secrets);
      const second = await obtainCode(t, publicClient, secrets);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectOAuthJson(
          await redeem(t, publicClient, { ...second, verifier: first.verifier }),
          400,
          'invalid_grant',
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
  });

  scanForSecrets(battery, 17);
});
