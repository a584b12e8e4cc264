import { Logger } from '@nestjs/common';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import { AccessTokenVerifierUnavailableError } from '../access-token-verifier.interface';
import { IntrospectionTokenVerifier } from './introspection-token.verifier';
import { JsonServer, type RecordedRequest } from '../../../../../test/support/json-server';

const RESOURCE = 'https://api.example.com/mcp';

describe('IntrospectionTokenVerifier (RFC 7662)', () => {
  let server: JsonServer;
  let answer: (request: RecordedRequest) => Record<string, unknown>;
  let issuer: string;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    server = await new JsonServer().start();
    issuer = server.origin;
    answer = () => active();
    server.routes.set('/introspect', (request) => ({ status: 200, body: answer(request) }));
    server.routes.set('/.well-known/oauth-authorization-server', () => ({
      status: 200,
      body: { issuer, introspection_endpoint: `${issuer}/introspect` },
    }));
  });
  afterEach(() => server.stop());

  function active(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      active: true,
      iss: issuer,
      sub: 'user-1',
      client_id: 'client-1',
      aud: RESOURCE,
      scope: 'mcp:tools mcp:read',
      exp: Math.floor(Date.now() / 1000) + 300,
      token_type: 'Bearer',
      ...extra,
    };
  }

  const verifier = (
    overrides: Partial<ConstructorParameters<typeof IntrospectionTokenVerifier>[0]> = {},
  ) =>
    new IntrospectionTokenVerifier({
      issuers: [issuer],
      clientId: 'rs client',
      clientSecret: 's3cr:t&+',
      ...overrides,
    });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  it('discovers the endpoint, authenticates with client_secret_basic and maps the answer', async () => {
    const verified = await verifier().verify('opaque-1', { resource: RESOURCE });
    expect(verified).toMatchObject({
      token: 'opaque-1',
      issuer,
      clientId: 'client-1',
      subject: 'user-1',
      scopes: ['mcp:tools', 'mcp:read'],
      audience: [RESOURCE],
      resource: RESOURCE,
    });
    const [call] = server.requestsTo('/introspect');
    // RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding.
    expect(call.headers.authorization).toBe(
      `Basic ${Buffer.from('rs+client:s3cr%3At%26%2B').toString('base64')}`,
    );
    expect(new URLSearchParams(call.body).get('token')).toBe('opaque-1');
    expect(new URLSearchParams(call.body).get('token_type_hint')).toBe('access_token');
  });

  it('can send client_secret_post', async () => {
    await verifier({
      clientAuthMethod: 'client_secret_post',
      endpoint: `${issuer}/introspect`,
    }).verify('opaque-1', { resource: RESOURCE });
    const [call] = server.requestsTo('/introspect');
    expect(call.headers.authorization).toBeUndefined();
    expect(new URLSearchParams(call.body).get('client_secret')).toBe('s3cr:t&+');
  });

  it('caches positive answers (never negative ones) and shares concurrent calls', async () => {
    const v = verifier();
    await Promise.all([1, 2, 3].map(() => v.verify('opaque-1', { resource: RESOURCE })));
    await v.verify('opaque-1', { resource: RESOURCE });
    expect(v.requestCount).toBe(1);
    answer = () => ({ active: false });
    for (let i = 0; i < 2; i += 1) {
      await expect(v.verify('opaque-2', { resource: RESOURCE })).rejects.toThrow(
        'token not active',
      );
    }
    expect(v.requestCount).toBe(3);
  });

  it('never caches past the cap, nor past the token exp', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate', 'setTimeout'] });
    try {
      const capped = verifier({ cacheTtl: 10 });
      await capped.verify('a', { resource: RESOURCE });
      jest.setSystemTime(Date.now() + 11_000);
      await capped.verify('a', { resource: RESOURCE });
      expect(capped.requestCount).toBe(2);

      const exp = Math.floor(Date.now() / 1000) + 20;
      answer = () => active({ exp });
      const soon = verifier({ cacheTtl: 3600, clockTolerance: 0 });
      await soon.verify('b', { resource: RESOURCE });
      jest.setSystemTime(Date.now() + 21_000);
      await expect(soon.verify('b', { resource: RESOURCE })).rejects.toThrow('token expired');
      expect(soon.requestCount).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['inactive', { active: false }, /not active/],
    ['for another resource (RS-7)', { aud: 'https://api.example.com/other' }, /audience/],
    ['without aud', { aud: undefined }, /audience/],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 60 }, /expired/],
    ['not yet valid', { nbf: Math.floor(Date.now() / 1000) + 600 }, /nbf/],
    ['a refresh token', { token_type: 'refresh_token' }, /bearer/],
    ['of another issuer', { iss: 'https://evil.example' }, /iss/],
    ['without client_id', { client_id: undefined }, /client_id/],
  ])('refuses a token %s', async (_name, fields, reason) => {
    const base = active();
    answer = () => (fields.active === false ? fields : { ...base, ...fields });
    const error = await refusal(verifier().verify('t', { resource: RESOURCE }));
    expect(error).toBeInstanceOf(InvalidAccessTokenError);
    expect((error as InvalidAccessTokenError).reason).toMatch(reason);
  });

  it('is unavailable, not invalid, when the endpoint fails or refuses our credentials', async () => {
    for (const status of [500, 401]) {
      server.routes.set('/introspect', () => ({ status, body: { error: 'x' } }));
      const error = await refusal(verifier().verify('t', { resource: RESOURCE }));
      expect(error).toBeInstanceOf(AccessTokenVerifierUnavailableError);
      expect((error as Error).message).not.toContain('s3cr');
    }
  });

  it('refuses oversized and empty tokens without a call', async () => {
    const v = verifier();
    await expect(v.verify('', { resource: RESOURCE })).rejects.toThrow('malformed');
    await expect(v.verify('x'.repeat(9000), { resource: RESOURCE })).rejects.toThrow('malformed');
    expect(v.requestCount).toBe(0);
  });
});
