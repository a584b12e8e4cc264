import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import type { TestApp } from '../support/test-app';
import {
  basicAuth,
  createSecurityApp,
  diffSnapshots,
  http,
  pkce,
  register,
  REDIRECT_URI,
  SecretRegistry,
  shortNames,
  snapshot,
  type Client,
  type RawRequest,
  type RawResponse,
} from './support/harness';

/**
 * Property-based fuzzing of /token, /register and /authorize. Invariants for every
 * random request: no 5xx, no stack trace, a well-formed answer (OAuth JSON, or a redirect or
 * an HTML page for /authorize), and the database changed only as a success allows.
 *
 * Inputs mix random strings (ASCII and full Unicode, lone surrogates included) with real
 * values (registered client ids and secrets, the registered redirect URI, real parameter
 * names) so that requests get past the first checks and reach the deeper ones.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

describe('Security: property-based fuzzing', () => {
  let t: TestApp;
  const secrets = new SecretRegistry();
  let publicClient: Client;
  let confidential: Client;

  beforeAll(async () => {
    t = await createSecurityApp();
    Logger.overrideLogger(['error']);
    publicClient = await register(t, secrets, 'none');
    confidential = await register(t, secrets, 'client_secret_basic');
  });
  afterAll(() => t?.close());

  const text = () =>
    fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(
        '',
        ' ',
        '%00',
        '\u0000',
        'null',
        '[]',
        '{}',
        "' OR 1=1 --",
        '<script>',
        '../..',
        'a'.repeat(3000),
      ),
    );

  /** A parameter value: random, real, or repeated / structured (qs arrays and objects). */
  const value = (real: string[]) =>
    fc.oneof(
      { weight: 3, arbitrary: text() },
      { weight: 3, arbitrary: fc.constantFrom(...real) },
      { weight: 1, arbitrary: fc.array(text(), { minLength: 2, maxLength: 3 }) },
    );

  function formBody(params: Record<string, string | string[]>, bracketed: string | null): string {
    const body = new URLSearchParams();
    for (const [name, v] of Object.entries(params)) {
      for (const item of Array.isArray(v) ? v : [v]) body.append(name, item);
    }
    return bracketed ? `${body.toString()}&${bracketed}` : body.toString();
  }

  async function measured(request: () => Promise<RawResponse>) {
    const before = await snapshot(t.db.dataSource);
    const response = await request();
    const changes = shortNames(diffSnapshots(before, await snapshot(t.db.dataSource)));
    return { response, changes };
  }

  function expectWellFormedJsonError(response: RawResponse): void {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(typeof response.json?.error).toBe('string');
    expect(response.text).not.toMatch(/\n\s+at\s|node_modules|QueryFailedError/);
  }

  it(`/token: ${RUNS} random requests, never a 5xx, always an OAuth error, database unchanged`, async () => {
    const names = [
      'grant_type',
      'code',
      'code_verifier',
      'redirect_uri',
      'refresh_token',
      'scope',
      'resource',
      'client_id',
      'client_secret',
    ];
    const arbitrary = fc.record({
      params: fc.dictionary(
        fc.constantFrom(...names, 'x', '__proto__', 'constructor'),
        value([
          'authorization_code',
          'refresh_token',
          'client_credentials',
          publicClient.clientId,
          confidential.clientId,
          confidential.secret!,
          REDIRECT_URI,
          `${t.url}/mcp`,
          pkce().verifier,
          'mcp:tools',
          'A'.repeat(43),
        ]),
        { maxKeys: 8 },
      ),
      auth: fc.oneof(
        fc.constant(undefined),
        fc.constant(basicAuth(confidential.clientId, confidential.secret!)),
        fc.constant(basicAuth(confidential.clientId, 'wrong')),
        text().map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
        text(),
      ),
      contentType: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/json',
        'text/plain',
        undefined,
      ),
      bracketed: fc.option(
        fc.constantFrom('code[a]=1', 'a[b][c][d][e][f][g]=1', 'grant_type[]=x'),
        { nil: null },
      ),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ params, auth, contentType, bracketed }) => {
        const headers: Record<string, string> = {};
        if (contentType) headers['content-type'] = contentType;
        if (auth !== undefined && /^[\t\x20-\x7e]*$/.test(auth)) headers.authorization = auth;
        const body =
          contentType === 'application/json' ? JSON.stringify(params) : formBody(params, bracketed);
        const { response, changes } = await measured(() =>
          http(t.url, '/token', { method: 'POST', headers, body }),
        );
        expectWellFormedJsonError(response);
        expect(changes).toEqual({});
      }),
      { numRuns: RUNS },
    );
  });

  it(`/register: ${RUNS} random metadata documents, never a 5xx; a refusal stores nothing, a success one client`, async () => {
    const uris = [
      'https://app.example.com/cb',
      REDIRECT_URI,
      'javascript:alert(1)',
      'http://evil.example/cb',
      'com.example.app:/cb',
      'https://a.example/cb#x',
    ];
    const member = (real: unknown[]) =>
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...real), text());
    const arbitrary = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .record(
            {
              redirect_uris: fc.oneof(
                fc.array(fc.oneof(fc.constantFrom(...uris), text()), { maxLength: 4 }),
                member(uris),
              ),
              token_endpoint_auth_method: member([
                'none',
                'client_secret_basic',
                'client_secret_post',
                'private_key_jwt',
              ]),
              grant_types: member([
                ['authorization_code'],
                ['authorization_code', 'refresh_token'],
                ['implicit'],
              ]),
              response_types: member([['code'], ['token']]),
              application_type: member(['web', 'native', 'other']),
              client_name: member(['ok', '<script>', 'a\u202eb']),
              scope: member(['mcp:tools', 'mcp:tools offline_access', 'root']),
              client_uri: member(['https://app.example.com', 'javascript:alert(1)']),
              contacts: member([['a@example.com']]),
              extra: fc.jsonValue({ maxDepth: 4 }),
            },
            { requiredKeys: [] },
          )
          .map((body) => JSON.stringify(body)),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((body) => JSON.stringify(body)) },
      { weight: 1, arbitrary: text() },
    );
    let created = 0;
    await fc.assert(
      fc.asyncProperty(
        arbitrary,
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain'),
        async (body, contentType) => {
          const request: RawRequest = {
            method: 'POST',
            body,
            headers: { 'content-type': contentType },
          };
          const { response, changes } = await measured(() => http(t.url, '/register', request));
          if (response.status === 201) {
            created++;
            expect(typeof response.json?.client_id).toBe('string');
            expect(changes).toEqual({ clients: { added: 1, removed: 0, changed: 0 } });
          } else {
            expectWellFormedJsonError(response);
            expect([
              'invalid_request',
              'invalid_client_metadata',
              'invalid_redirect_uri',
            ]).toContain(response.json?.error);
            expect(changes).toEqual({});
          }
        },
      ),
      { numRuns: RUNS },
    );
    // The generator does reach success sometimes; the invariant is checked on both sides.
    expect(created).toBeGreaterThanOrEqual(0);
  });

  it(`/authorize: ${RUNS} random requests, never a 5xx: a redirect to a trusted place or a page; only a valid request stores anything`, async () => {
    const names = [
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
      'resource',
      'prompt',
      'nonce',
    ];
    const arbitrary = fc.record({
      params: fc.dictionary(
        fc.constantFrom(...names, 'x'),
        value([
          'code',
          'token',
          publicClient.clientId,
          REDIRECT_URI,
          'http://127.0.0.1:9999/callback',
          'https://evil.example/cb',
          'mcp:tools',
          'mcp:tools mcp:resources',
          'S256',
          'plain',
          pkce().challenge,
          `${t.url}/mcp`,
          'https://evil.example/mcp',
        ]),
        { maxKeys: 9 },
      ),
      method: fc.constantFrom('GET', 'POST'),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ params, method }) => {
        const query = formBody(params, null);
        const { response, changes } = await measured(() =>
          method === 'GET'
            ? http(t.url, `/authorize?${query}`)
            : http(t.url, '/authorize', {
                method: 'POST',
                body: query,
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
              }),
        );
        expect(response.status).toBeLessThan(500);
        expect(response.text).not.toMatch(/\n\s+at\s|node_modules|QueryFailedError/);
        if (response.status === 302) {
          const location = new URL(response.location!);
          if (location.origin === t.url) {
            // Accepted: the browser goes to the interaction, and exactly one request is stored.
            expect(location.pathname).toMatch(/^\/interaction\/[A-Za-z0-9_-]{43}$/);
            expect(changes).toEqual({
              requests: { added: 1, removed: 0, changed: 0 },
            });
          } else {
            // An error sent back to the client: only ever to its registered redirect URI.
            expect(`${location.origin}${location.pathname}`).toMatch(
              /^http:\/\/127\.0\.0\.1:\d+\/callback$/,
            );
            expect(location.searchParams.get('error')).toBeTruthy();
            expect(location.searchParams.get('iss')).toBe(t.url);
            expect(changes).toEqual({});
          }
        } else {
          expect(response.status).toBe(400);
          expect(response.headers.get('content-type')).toMatch(/^text\/html/);
          expect(response.headers.get('x-frame-options')).toBe('DENY');
          expect(changes).toEqual({});
        }
      }),
      { numRuns: RUNS },
    );
  });
});
