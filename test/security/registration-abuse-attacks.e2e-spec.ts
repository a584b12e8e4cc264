import { TEST_HTTP_ADAPTER, type TestApp } from '../support/test-app';
import { expectOAuthJson, http, WEB_REDIRECT_URI, type RawResponse } from './support/harness';
import { scanForSecrets, useAttackBattery } from './support/attack-battery';

/**
 * Registration bodies (AS-9): oversized and deeply nested JSON, hostile client names,
 * unsupported metadata, wrong content types and encodings; what is accepted is stored verbatim
 * and nothing else.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: registration abuse', () => {
  const battery = useAttackBattery();
  const { hostile, countCases } = battery;
  let t: TestApp;
  beforeAll(() => {
    ({ t } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('registration abuse (AS-9)', () => {
    const registerRaw = (body: string, contentType = 'application/json') =>
      http(t.url, '/register', { body, headers: { 'content-type': contentType } });
    const nested = (depth: number) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;

    const cases: [string, () => Promise<RawResponse>, number, string][] = [
      [
        'a body over the size limit',
        () =>
          registerRaw(
            JSON.stringify({ redirect_uris: [WEB_REDIRECT_URI], client_name: 'x'.repeat(200_000) }),
          ),
        413,
        'invalid_request',
      ],
      [
        'thousands of redirect URIs',
        () =>
          registerRaw(
            JSON.stringify({
              redirect_uris: Array.from({ length: 3000 }, (_, i) => `https://a.example/${i}`),
            }),
          ),
        400,
        'invalid_redirect_uri',
      ],
      [
        '21 redirect URIs',
        () =>
          registerRaw(
            JSON.stringify({
              redirect_uris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`),
            }),
          ),
        400,
        'invalid_redirect_uri',
      ],
      [
        'an empty redirect_uris',
        () => registerRaw(JSON.stringify({ redirect_uris: [] })),
        400,
        'invalid_redirect_uri',
      ],
      [
        'redirect_uris as a string',
        () => registerRaw(JSON.stringify({ redirect_uris: WEB_REDIRECT_URI })),
        400,
        'invalid_redirect_uri',
      ],
      [
        'redirect_uris of numbers',
        () => registerRaw(JSON.stringify({ redirect_uris: [1, 2] })),
        400,
        'invalid_redirect_uri',
      ],
      [
        'deeply nested JSON in redirect_uris',
        () => registerRaw(`{"redirect_uris":${nested(5000)}}`),
        400,
        'invalid_redirect_uri',
      ],
      [
        'deeply nested JSON in client_name',
        () =>
          registerRaw(`{"redirect_uris":["${WEB_REDIRECT_URI}"],"client_name":${nested(5000)}}`),
        400,
        'invalid_client_metadata',
      ],
      [
        'a NUL in client_name',
        () =>
          registerRaw(
            JSON.stringify({ redirect_uris: [WEB_REDIRECT_URI], client_name: 'a\u0000b' }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'control characters in client_name',
        () =>
          registerRaw(
            JSON.stringify({
              redirect_uris: [WEB_REDIRECT_URI],
              client_name: 'line\r\nbreak\u001b[31m',
            }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'a bidi override in client_name',
        () =>
          registerRaw(
            JSON.stringify({ redirect_uris: [WEB_REDIRECT_URI], client_name: 'Good\u202eliveC' }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'an unpaired surrogate in client_name',
        () => registerRaw(`{"redirect_uris":["${WEB_REDIRECT_URI}"],"client_name":"a\\ud800b"}`),
        400,
        'invalid_client_metadata',
      ],
      [
        'a 201-character client_name',
        () =>
          registerRaw(
            JSON.stringify({ redirect_uris: [WEB_REDIRECT_URI], client_name: 'n'.repeat(201) }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'SQL metacharacters in scope',
        () =>
          registerRaw(
            JSON.stringify({
              redirect_uris: [WEB_REDIRECT_URI],
              scope: "mcp:tools'; DROP TABLE mcp_auth_clients; --",
            }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'an unsupported token_endpoint_auth_method (tls_client_auth)',
        () =>
          registerRaw(
            JSON.stringify({
              redirect_uris: [WEB_REDIRECT_URI],
              token_endpoint_auth_method: 'tls_client_auth',
            }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'private_key_jwt without keys',
        () =>
          registerRaw(
            JSON.stringify({
              redirect_uris: [WEB_REDIRECT_URI],
              token_endpoint_auth_method: 'private_key_jwt',
            }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'grant_types without authorization_code',
        () =>
          registerRaw(
            JSON.stringify({
              redirect_uris: [WEB_REDIRECT_URI],
              grant_types: ['client_credentials'],
            }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'an unknown application_type',
        () =>
          registerRaw(
            JSON.stringify({ redirect_uris: [WEB_REDIRECT_URI], application_type: 'browser' }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        '11 contacts',
        () =>
          registerRaw(
            JSON.stringify({
              redirect_uris: [WEB_REDIRECT_URI],
              contacts: Array.from({ length: 11 }, (_, i) => `a${i}@example.com`),
            }),
          ),
        400,
        'invalid_client_metadata',
      ],
      [
        'malformed JSON',
        () => registerRaw('{"redirect_uris": ["https://a.example/cb"'),
        400,
        'invalid_request',
      ],
      [
        'a JSON array body',
        () => registerRaw(JSON.stringify([{ redirect_uris: [WEB_REDIRECT_URI] }])),
        400,
        'invalid_request',
      ],
      ['a JSON string body', () => registerRaw('"hello"'), 400, 'invalid_request'],
      ['a JSON null body', () => registerRaw('null'), 400, 'invalid_request'],
      [
        'a text/plain body',
        () => registerRaw(JSON.stringify({ redirect_uris: [WEB_REDIRECT_URI] }), 'text/plain'),
        400,
        'invalid_request',
      ],
      [
        'a form body',
        () =>
          registerRaw(
            `redirect_uris=${encodeURIComponent(WEB_REDIRECT_URI)}`,
            'application/x-www-form-urlencoded',
          ),
        400,
        'invalid_request',
      ],
      [
        'no content type',
        () =>
          http(t.url, '/register', { body: JSON.stringify({ redirect_uris: [WEB_REDIRECT_URI] }) }),
        400,
        'invalid_request',
      ],
      [
        'a latin-1 charset',
        () =>
          registerRaw(
            JSON.stringify({ redirect_uris: [WEB_REDIRECT_URI] }),
            'application/json; charset=iso-8859-1',
          ),
        415,
        'invalid_request',
      ],
      [
        'a bogus gzip body',
        () =>
          http(t.url, '/register', {
            body: 'not gzip at all',
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          }),
        // Express inflates gzip and finds garbage; on Fastify the module reads no compressed body.
        TEST_HTTP_ADAPTER === 'fastify' ? 415 : 400,
        'invalid_request',
      ],
      [
        'an unsupported content encoding',
        () =>
          http(t.url, '/register', {
            body: '{}',
            headers: { 'content-type': 'application/json', 'content-encoding': 'x-made-up' },
          }),
        415,
        'invalid_request',
      ],
    ];
    for (const [label, attack, status, error] of cases) {
      hostile(`${label}: ${status} ${error}`, async () => {
        expectOAuthJson(await attack(), status, error);
      });
    }

    it('SQL metacharacters and unicode in client_name are stored verbatim; the tables survive', async () => {
      const name = `Robert'); DROP TABLE mcp_auth_clients;-- ✓ 日本語 😀`;
      const response = await http(t.url, '/register', {
        jsonBody: {
          redirect_uris: [WEB_REDIRECT_URI],
          client_name: name,
          token_endpoint_auth_method: 'none',
        },
      });
      expect(response.status).toBe(201);
      expect(response.json?.client_name).toBe(name);
      const rows = await t.db.dataSource.query<{ client_name: string }[]>(
        'SELECT client_name FROM mcp_auth_clients WHERE client_id = $1',
        [response.json?.client_id],
      );
      expect(rows).toEqual([{ client_name: name }]);
    });
    it('unknown, nested and __proto__ members are ignored: not stored, not echoed, no pollution', async () => {
      const body = `{"redirect_uris":["${WEB_REDIRECT_URI}"],"token_endpoint_auth_method":"none",
        "__proto__":{"token_endpoint_auth_method":"client_secret_basic","polluted":true},
        "constructor":{"prototype":{"polluted":true}},"extra":${nested(2000)}}`;
      const response = await registerRaw(body);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      if (TEST_HTTP_ADAPTER === 'fastify') {
        // Fastify's JSON parser refuses a `__proto__` key outright (onProtoPoisoning: 'error').
        expectOAuthJson(response, 400, 'invalid_request');
        return;
      }
      expect(response.status).toBe(201);
      expect(response.json).not.toHaveProperty('extra');
      expect(response.json?.token_endpoint_auth_method).toBe('none');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const rows = await t.db.dataSource.query<{ metadata: string }[]>(
        'SELECT metadata::text AS metadata FROM mcp_auth_clients WHERE client_id = $1',
        [response.json?.client_id],
      );
      expect(rows[0].metadata).not.toMatch(/extra|polluted|__proto__/);
    });
    countCases(2);
  });

  scanForSecrets(battery, 31);
});
