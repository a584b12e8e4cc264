import type { TestApp } from '../support/test-app';
import {
  changesOf,
  expectOAuthJson,
  introspect,
  obtainCode,
  recordTokens,
  redeem,
  refreshWith,
  type Client,
  type RawResponse,
} from './support/harness';
import {
  NO_CHANGE,
  GRANT_REVOKED,
  scanForSecrets,
  useAttackBattery,
} from './support/attack-battery';

/**
 * Authorization codes at the token endpoint (AS-19): replay revokes the grant, a wrong binding
 * (client, redirect URI, resource) or an expired code is refused without touching the code,
 * requests that cannot be judged against a code never consume it.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: authorization code attacks', () => {
  const battery = useAttackBattery();
  const { secrets, hostile, expireCode, countCases } = battery;
  let t: TestApp;
  let otherPublic: Client;
  let basic: Client;
  let post: Client;
  let introspector: Client;
  beforeAll(() => {
    ({ t, otherPublic, basic, post, introspector } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('authorization codes (AS-19)', () => {
    it('replay: the second use fails and the tokens of the first use stop working', async () => {
      const obtained = await obtainCode(t, basic, secrets);
      const first = await redeem(t, basic, obtained);
      expect(first.status).toBe(200);
      const tokens = recordTokens(secrets, first.json);
      expect(await introspect(t, introspector, tokens.access_token)).toMatchObject({
        active: true,
      });

      const changes = await changesOf(t.db.dataSource, async () => {
        expectOAuthJson(await redeem(t, basic, obtained), 400, 'invalid_grant');
      });
      expect(changes).toEqual(GRANT_REVOKED);

      expect(await introspect(t, introspector, tokens.access_token)).toEqual({ active: false });
      expect(await introspect(t, introspector, tokens.refresh_token!)).toEqual({ active: false });
      expectOAuthJson(await refreshWith(t, basic, tokens.refresh_token!), 400, 'invalid_grant');
    });
    countCases();

    const wrongBinding: [
      string,
      (o: Awaited<ReturnType<typeof obtainCode>>) => Promise<RawResponse>,
    ][] = [
      ['use by another confidential client', (o) => redeem(t, post, o)],
      ['use by another public client', (o) => redeem(t, otherPublic, o)],
      [
        'another redirect_uri path',
        (o) => redeem(t, basic, o, { redirect_uri: 'http://127.0.0.1:8976/other' }),
      ],
      [
        'the same redirect_uri on another loopback port',
        (o) => redeem(t, basic, o, { redirect_uri: 'http://127.0.0.1:8977/callback' }),
      ],
      [
        'the redirect_uri on localhost instead of 127.0.0.1',
        (o) => redeem(t, basic, o, { redirect_uri: 'http://localhost:8976/callback' }),
      ],
      [
        'no redirect_uri although the request had one',
        (o) => redeem(t, basic, o, { redirect_uri: '' }),
      ],
    ];
    for (const [label, attack] of wrongBinding) {
      countCases();
      it(`${label}: invalid_grant and nothing changed; the rightful redemption still works`, async () => {
        const obtained = await obtainCode(t, basic, secrets);
        const changes = await changesOf(t.db.dataSource, async () => {
          expectOAuthJson(await attack(obtained), 400, 'invalid_grant');
        });
        expect(changes).toEqual(NO_CHANGE);
        // Nobody can burn or revoke someone else's authorization by presenting its code.
        const rightful = await redeem(t, basic, obtained);
        expect(rightful.status).toBe(200);
        recordTokens(secrets, rightful.json);
      });
    }

    countCases();
    it('after expiry: invalid_grant and the expired code is left as it was', async () => {
      const obtained = await obtainCode(t, basic, secrets);
      await expireCode(obtained.code);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectOAuthJson(await redeem(t, basic, obtained), 400, 'invalid_grant');
      });
      expect(changes).toEqual(NO_CHANGE);
    });

    describe('resource binding (AS-15)', () => {
      let obtained: Awaited<ReturnType<typeof obtainCode>>;
      beforeAll(async () => {
        obtained = await obtainCode(t, basic, secrets);
      });
      hostile(
        'a code for /mcp redeemed for another served resource is invalid_target',
        async () => {
          expectOAuthJson(
            await redeem(t, basic, obtained, { resource: `${t.url}/other` }),
            400,
            'invalid_target',
          );
        },
        NO_CHANGE,
      );
    });

    describe('requests that cannot be judged against a code never touch it', () => {
      let obtained: Awaited<ReturnType<typeof obtainCode>>;
      beforeAll(async () => {
        obtained = await obtainCode(t, basic, secrets);
      });
      for (const [label, overrides, error] of [
        [
          'a resource this server does not serve',
          { resource: 'https://evil.example/mcp' },
          'invalid_target',
        ],
        ['a resource with a fragment', { resource: `${t?.url ?? ''}/mcp#x` }, 'invalid_target'],
        [
          'two resources',
          { resource: ['https://a.example/mcp', 'https://b.example/mcp'] },
          'invalid_target',
        ],
        ['an unknown code', { code: 'A'.repeat(43) }, 'invalid_grant'],
        ['a code with trailing whitespace', { code: 'placeholder ' }, 'invalid_grant'],
        ['a repeated code', { code: ['x', 'y'] }, 'invalid_request'],
        ['a code of 3000 characters', { code: 'a'.repeat(3000) }, 'invalid_request'],
      ] as const) {
        hostile(`${label}: ${error}`, async () => {
          const extra =
            label === 'a code with trailing whitespace' ? { code: `${obtained.code} ` } : overrides;
          const fixed =
            label === 'a resource with a fragment' ? { resource: `${t.url}/mcp#x` } : extra;
          expectOAuthJson(
            await redeem(t, basic, obtained, fixed as Record<string, string | string[]>),
            400,
            error,
          );
        });
      }
      it('…and the code then redeems normally', async () => {
        const response = await redeem(t, basic, obtained);
        expect(response.status).toBe(200);
        recordTokens(secrets, response.json);
      });
    });
  });

  scanForSecrets(battery, 16);
});
