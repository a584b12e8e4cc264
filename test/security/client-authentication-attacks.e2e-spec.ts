import type { TestApp } from '../support/test-app';
import {
  basicAuth,
  changesOf,
  expectOAuthJson,
  http,
  register,
  REDIRECT_URI,
  type Client,
  type RawResponse,
} from './support/harness';
import { NO_CHANGE, scanForSecrets, useAttackBattery } from './support/attack-battery';

/**
 * Client authentication at /token, /introspect and /revoke (AS-20, AS-24): wrong or misplaced
 * secrets, malformed Basic headers, mixed methods, unknown and hostile client ids, expired
 * secrets.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: client authentication attacks', () => {
  const battery = useAttackBattery();
  const { secrets, hostile, countCases } = battery;
  let t: TestApp;
  let publicClient: Client;
  let basic: Client;
  let post: Client;
  beforeAll(() => {
    ({ t, publicClient, basic, post } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('client authentication (AS-20, AS-24)', () => {
    const tokenRequest = {
      grant_type: 'authorization_code',
      code: 'C'.repeat(43),
      code_verifier: 'v'.repeat(43),
      redirect_uri: REDIRECT_URI,
    };
    const expectBasicChallenge = (response: RawResponse) =>
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="/);

    const cases: [string, () => Promise<RawResponse>, number, string, boolean][] = [
      [
        'a wrong secret (Basic)',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: basicAuth(basic.clientId, 'wrong-secret-wrong-secret') },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'a wrong secret (post)',
        () =>
          http(t.url, '/token', {
            form: {
              ...tokenRequest,
              client_id: post.clientId,
              client_secret: 'wrong-secret-wrong',
            },
          }),
        401,
        'invalid_client',
        false,
      ],
      [
        'a secret for a public client (post)',
        () =>
          http(t.url, '/token', {
            form: {
              ...tokenRequest,
              client_id: publicClient.clientId,
              client_secret: 'anything-at-all-123',
            },
          }),
        401,
        'invalid_client',
        false,
      ],
      [
        'a secret for a public client (Basic)',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: basicAuth(publicClient.clientId, 'anything-at-all-123') },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'Basic with bad base64',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: 'Basic !!!not-base64!!!' },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'Basic with non-canonical base64 padding',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: 'Basic YWJjOmRlZh==' },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'Basic that is not UTF-8',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: {
              authorization: `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x61]).toString('base64')}`,
            },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'Basic without a colon',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: `Basic ${Buffer.from('justanid').toString('base64')}` },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'Basic with an empty client id',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: basicAuth('', 'x') },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'Basic with a bad % escape',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: `Basic ${Buffer.from('%zz:secret').toString('base64')}` },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'a client_id mismatch between Basic and body',
        () =>
          http(t.url, '/token', {
            form: { ...tokenRequest, client_id: post.clientId },
            headers: { authorization: basicAuth(basic.clientId, basic.secret!) },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'Basic plus client_secret in the body',
        () =>
          http(t.url, '/token', {
            form: { ...tokenRequest, client_secret: basic.secret! },
            headers: { authorization: basicAuth(basic.clientId, basic.secret!) },
          }),
        400,
        'invalid_request',
        false,
      ],
      [
        'a Bearer header at the token endpoint',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: 'Bearer abc.def.ghi' },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'a Basic client authenticating with client_secret_post',
        () =>
          http(t.url, '/token', {
            form: { ...tokenRequest, client_id: basic.clientId, client_secret: basic.secret! },
          }),
        401,
        'invalid_client',
        false,
      ],
      [
        'a post client authenticating with Basic',
        () =>
          http(t.url, '/token', {
            form: tokenRequest,
            headers: { authorization: basicAuth(post.clientId, post.secret!) },
          }),
        401,
        'invalid_client',
        true,
      ],
      [
        'a confidential client sending no secret',
        () => http(t.url, '/token', { form: { ...tokenRequest, client_id: basic.clientId } }),
        401,
        'invalid_client',
        false,
      ],
      [
        'an unknown client',
        () => http(t.url, '/token', { form: { ...tokenRequest, client_id: 'nobody' } }),
        401,
        'invalid_client',
        false,
      ],
      [
        'a NUL in client_id',
        () => http(t.url, '/token', { form: { ...tokenRequest, client_id: 'abc\u0000def' } }),
        401,
        'invalid_client',
        false,
      ],
      [
        'an oversized client_id',
        () => http(t.url, '/token', { form: { ...tokenRequest, client_id: 'x'.repeat(1500) } }),
        400,
        'invalid_request',
        false,
      ],
      [
        'a SQL-injection client_id',
        () => http(t.url, '/token', { form: { ...tokenRequest, client_id: "' OR '1'='1" } }),
        401,
        'invalid_client',
        false,
      ],
      [
        'no client identification at all',
        () => http(t.url, '/token', { form: tokenRequest }),
        401,
        'invalid_client',
        false,
      ],
      [
        'a public client at /introspect',
        () =>
          http(t.url, '/introspect', {
            form: { token: 'x'.repeat(43), client_id: publicClient.clientId },
          }),
        401,
        'invalid_client',
        false,
      ],
      [
        'a wrong secret at /revoke',
        () =>
          http(t.url, '/revoke', {
            form: { token: 'x'.repeat(43) },
            headers: { authorization: basicAuth(basic.clientId, 'wrong-secret-wrong-secret') },
          }),
        401,
        'invalid_client',
        true,
      ],
    ];
    for (const [label, attack, status, error, basicChallenge] of cases) {
      hostile(`${label}: ${status} ${error}`, async () => {
        const response = await attack();
        expectOAuthJson(response, status, error);
        if (basicChallenge) expectBasicChallenge(response);
      });
    }

    it('an expired client secret: 401 invalid_client, changes nothing', async () => {
      const expiring = await register(t, secrets, 'client_secret_post');
      await t.db.dataSource.query(
        `UPDATE mcp_auth_clients SET client_secret_expires_at = now() - interval '1 hour' WHERE client_id = $1`,
        [expiring.clientId],
      );
      const changes = await changesOf(t.db.dataSource, async () => {
        expectOAuthJson(
          await http(t.url, '/token', {
            form: {
              ...tokenRequest,
              client_id: expiring.clientId,
              client_secret: expiring.secret!,
            },
          }),
          401,
          'invalid_client',
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    countCases();
  });

  scanForSecrets(battery, 24);
});
