import type { TestApp } from '../support/test-app';
import {
  authenticate,
  expectErrorPage,
  expectNoInternals,
  expectOAuthJson,
  http,
  type Client,
} from './support/harness';
import { scanForSecrets, useAttackBattery } from './support/attack-battery';

/**
 * Every endpoint: malformed JSON, oversized bodies, too many or repeated parameters, wrong
 * methods (405 with Allow), unsupported grant types.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: malformed request attacks', () => {
  const battery = useAttackBattery();
  const { hostile } = battery;
  let t: TestApp;
  let publicClient: Client;
  let basic: Client;
  beforeAll(() => {
    ({ t, publicClient, basic } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('every endpoint: malformed input, wrong methods, oversized bodies', () => {
    const jsonEndpoints = ['/token', '/register', '/revoke', '/introspect'];
    const big = 'x'.repeat(150_000);

    for (const path of jsonEndpoints) {
      hostile(`${path}: malformed JSON is 400 invalid_request`, async () => {
        expectOAuthJson(
          await http(t.url, path, {
            body: '{"a":',
            headers: { 'content-type': 'application/json' },
          }),
          400,
          'invalid_request',
        );
      });
      hostile(`${path}: an oversized form body is 413 invalid_request`, async () => {
        expectOAuthJson(
          await http(t.url, path, {
            body: `a=${big}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
          413,
          'invalid_request',
        );
      });
      hostile(`${path}: an oversized JSON body is 413 invalid_request`, async () => {
        expectOAuthJson(
          await http(t.url, path, {
            body: JSON.stringify({ a: big }),
            headers: { 'content-type': 'application/json' },
          }),
          413,
          'invalid_request',
        );
      });
      hostile(`${path}: 2000 form parameters is 413 invalid_request`, async () => {
        const body = Array.from({ length: 2000 }, (_, i) => `p${i}=1`).join('&');
        expectOAuthJson(
          await http(t.url, path, {
            body,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
          413,
          'invalid_request',
        );
      });
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        hostile(`${path}: ${method} is 405 with Allow`, async () => {
          const response = await http(t.url, path, { method });
          expectOAuthJson(response, 405, 'invalid_request');
          expect(response.headers.get('allow')).toMatch(/^POST/);
        });
      }
    }

    for (const [path, form] of [
      ['/token', { grant_type: ['authorization_code', 'refresh_token'] }],
      ['/token', { grant_type: 'authorization_code', 'code[a]': 'b', code: 'c' }],
      ['/revoke', { token: ['a', 'b'], client_id: publicClient?.clientId ?? '' }],
      ['/introspect', { token: 'x', client_id: ['a', 'b'] }],
    ] as const) {
      hostile(
        `${path}: duplicate or structured parameters ${Object.keys(form).join(',')} are 400 invalid_request`,
        async () => {
          const fixed = Object.fromEntries(
            Object.entries(form).map(([k, v]) => [k, v === '' ? publicClient.clientId : v]),
          ) as Record<string, string | string[]>;
          const body =
            'code[a]' in fixed
              ? `grant_type=authorization_code&code[a]=b&code_verifier=x&client_id=${publicClient.clientId}`
              : new URLSearchParams(
                  Object.entries(fixed).flatMap(([k, v]) =>
                    (Array.isArray(v) ? v : [v]).map((item): [string, string] => [k, item]),
                  ),
                ).toString();
          expectOAuthJson(
            await http(t.url, path, {
              body,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
            }),
            400,
            'invalid_request',
          );
        },
      );
    }
    hostile('/token: a JSON body instead of a form is 400 invalid_request', async () => {
      expectOAuthJson(
        await http(t.url, '/token', { jsonBody: { grant_type: 'authorization_code' } }),
        400,
        'invalid_request',
      );
    });
    hostile('/token: an unsupported grant type is 400 unsupported_grant_type', async () => {
      expectOAuthJson(
        await http(
          t.url,
          '/token',
          authenticate(publicClient, {
            grant_type: 'password',
            username: 'alice',
            password: 'alice-password',
          }),
        ),
        400,
        'unsupported_grant_type',
      );
    });
    hostile(
      '/token: client_credentials for a client not registered for it is 400 unauthorized_client',
      async () => {
        expectOAuthJson(
          await http(t.url, '/token', authenticate(basic, { grant_type: 'client_credentials' })),
          400,
          'unauthorized_client',
        );
      },
    );

    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/jwks.json']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        hostile(`${path}: ${method} is 405 with Allow`, async () => {
          const response = await http(t.url, path, {
            method,
            body: method === 'POST' ? '{}' : undefined,
            headers: { 'content-type': 'application/json' },
          });
          expectOAuthJson(response, 405, 'invalid_request');
          expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
        });
      }
    }

    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      hostile(`/authorize: ${method} is a 405 page with Allow`, async () => {
        const response = await http(t.url, '/authorize', { method });
        expectErrorPage(response, 405);
        expect(response.headers.get('allow')).toBe('GET, POST');
      });
    }
    hostile('/authorize: an oversized POST body is a 413 page, never a redirect', async () => {
      const response = await http(t.url, '/authorize', {
        body: `client_id=x&state=${big}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectErrorPage(response, 413);
    });
    hostile('/authorize: a malformed JSON POST body is a 400 page', async () => {
      const response = await http(t.url, '/authorize', {
        body: '{"client_id":',
        headers: { 'content-type': 'application/json' },
      });
      expectErrorPage(response, 400);
    });
    hostile('/authorize: an oversized query string is a 400 page, not a 5xx', async () => {
      const response = await http(t.url, `/authorize?client_id=${'x'.repeat(20_000)}`);
      expect([400, 414, 431]).toContain(response.status);
      expectNoInternals(response);
    });
    hostile('/interaction: an oversized login body is a 413 page', async () => {
      const response = await http(t.url, `/interaction/${'A'.repeat(43)}/login`, {
        body: `username=${big}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectErrorPage(response, 413);
    });
    hostile('/interaction: malformed JSON on the consent form is a 400 page', async () => {
      const response = await http(t.url, `/interaction/${'A'.repeat(43)}/consent`, {
        body: '{"decision":',
        headers: { 'content-type': 'application/json' },
      });
      expectErrorPage(response, 400);
    });
  });

  scanForSecrets(battery, 53);
});
