import type { Request } from 'express';
import passport from 'passport';
import { InvalidAccessTokenError } from '../tokens/invalid-access-token.error';
import {
  AccessTokenVerifierUnavailableError,
  type AccessTokenVerifier,
  type VerifiedAccessToken,
} from './access-token-verifier.interface';
import { BearerStrategy } from './bearer.strategy';
import { ResourceServerConfig } from './resource-server.config';

const MCP = 'https://api.example.com/mcp';

function config(strategyName?: string): ResourceServerConfig {
  return ResourceServerConfig.fromOptions({
    resources: [{ uri: MCP, scopes: ['mcp:tools'] }],
    authorizationServers: ['https://idp.example.com'],
    verifier: { type: 'custom' },
    ...(strategyName ? { strategyName } : {}),
  });
}

function verified(overrides: Partial<VerifiedAccessToken> = {}): VerifiedAccessToken {
  return Object.freeze({
    token: 'good-token',
    issuer: 'https://idp.example.com',
    clientId: 'client-1',
    subject: 'alice',
    scopes: Object.freeze(['mcp:tools', 'mcp:admin']),
    expiresAt: Math.floor(Date.now() / 1000) + 60,
    audience: Object.freeze([MCP]),
    resource: MCP,
    jti: 'j1',
    claims: Object.freeze({ sub: 'alice', client_id: 'client-1', scope: 'mcp:tools mcp:admin' }),
    ...overrides,
  });
}

function fakeRequest(headers: Record<string, string> = {}, url = '/mcp', body?: unknown): Request {
  return {
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    rawHeaders: Object.entries(headers).flat(),
    url,
    path: url.split('?')[0],
    query: Object.fromEntries(new URLSearchParams(url.split('?')[1] ?? '')),
    body,
  } as unknown as Request;
}

interface Outcome {
  error: unknown;
  user: unknown;
  info: unknown;
  status: unknown;
}

/** Runs the strategy the way `@nestjs/passport` does: `passport.authenticate(name, callback)`. */
function authenticate(names: string | string[], request: Request): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    passport.authenticate(
      names,
      { session: false },
      (error: unknown, user: unknown, info: unknown, status: unknown) =>
        resolve({ error, user, info, status }),
    )(request, {}, (error?: unknown) =>
      reject(error instanceof Error ? error : new Error('next() without an outcome')),
    );
  });
}

describe('BearerStrategy through Passport', () => {
  const strategies: BearerStrategy[] = [];
  function strategy(verifier: AccessTokenVerifier, name?: string): BearerStrategy {
    const created = new BearerStrategy(verifier, config(name));
    strategies.push(created);
    return created;
  }
  afterEach(() => {
    for (const created of strategies.splice(0)) created.onModuleDestroy();
  });

  const accepting: AccessTokenVerifier = { checksAudience: true, verify: async () => verified() };

  it('registers one name per instance, releases it on shutdown, and refuses a taken name', () => {
    const a = strategy(accepting);
    const b = strategy(accepting);
    expect(a.name).toMatch(/^mcp-bearer:/);
    expect(b.name).not.toBe(a.name);
    const named = strategy(accepting, 'mcp-test-named');
    expect(named.name).toBe('mcp-test-named');
    expect(() => new BearerStrategy(accepting, config('mcp-test-named'))).toThrow(
      /already registered/,
    );
    named.onModuleDestroy();
    expect(() => strategy(accepting, 'mcp-test-named')).not.toThrow();
  });

  it('succeeds with the principal as the user and the verified token as the info', async () => {
    const s = strategy(accepting);
    const outcome = await authenticate(s.name, fakeRequest({ Authorization: 'Bearer good-token' }));
    expect(outcome.error).toBeNull();
    expect(outcome.user).toEqual({
      subject: 'alice',
      clientId: 'client-1',
      scopes: ['mcp:tools', 'mcp:admin'],
      scope: 'mcp:tools mcp:admin',
      machine: false,
      claims: { sub: 'alice', client_id: 'client-1', scope: 'mcp:tools mcp:admin' },
    });
    expect(JSON.stringify(outcome.user)).not.toContain('good-token');
    expect(outcome.info).toMatchObject({ token: 'good-token', resource: MCP });
  });

  it('answers synchronously from the verifier cache, with the same principal each time', () => {
    const token = verified();
    const s = strategy({
      checksAudience: true,
      verify: () => Promise.reject(new Error('not expected')),
      verifyCached: () => token,
    });
    const users: unknown[] = [];
    for (let i = 0; i < 2; i += 1) {
      passport.authenticate(s.name, { session: false }, (_e: unknown, user: unknown) =>
        users.push(user),
      )(fakeRequest({ Authorization: 'Bearer good-token' }), {}, () => undefined);
    }
    expect(users).toHaveLength(2);
    expect(users[0]).toBe(users[1]);
  });

  it.each([
    ['no credentials', fakeRequest(), undefined, 401],
    ['another scheme', fakeRequest({ Authorization: 'Basic dXNlcjpwdw==' }), undefined, 401],
    [
      'a token in the query',
      fakeRequest({}, '/mcp?access_token=good-token'),
      'invalid_request',
      400,
    ],
    [
      'a token in the body, even with a header',
      fakeRequest({ Authorization: 'Bearer good-token' }, '/mcp', { access_token: 'good-token' }),
      'invalid_request',
      400,
    ],
    ['a malformed header', fakeRequest({ Authorization: 'Bearer a b' }), 'invalid_request', 400],
  ])('fails on %s without asking the verifier', async (_name, request, error, status) => {
    const verify = jest.fn(async () => verified());
    const s = strategy({ checksAudience: true, verify });
    const outcome = await authenticate(s.name, request);
    expect(outcome.user).toBe(false);
    expect(outcome.info).toEqual(
      expect.objectContaining({ kind: 'mcp-bearer-refusal', status, ...(error ? { error } : {}) }),
    );
    if (!error) expect(outcome.info).not.toHaveProperty('error');
    expect(outcome.status).toBe(status);
    expect(verify).not.toHaveBeenCalled();
  });

  it('accepts several spaces after the scheme (RFC 7235 1*SP)', async () => {
    const s = strategy(accepting);
    const outcome = await authenticate(
      s.name,
      fakeRequest({ Authorization: 'bearer   good-token' }),
    );
    expect(outcome.user).toMatchObject({ subject: 'alice' });
  });

  it('fails with invalid_token and the reason when the verifier refuses the token', async () => {
    const s = strategy({
      verify: () => Promise.reject(new InvalidAccessTokenError('token expired')),
    });
    const outcome = await authenticate(s.name, fakeRequest({ Authorization: 'Bearer old' }));
    expect(outcome.user).toBe(false);
    expect(outcome.info).toMatchObject({ error: 'invalid_token', description: 'token expired' });
  });

  it('checks the audience once: itself only for verifiers that do not', async () => {
    const foreign = verified({ audience: ['https://elsewhere.example/mcp'] });
    const careless = strategy({ verify: async () => foreign });
    const refused = await authenticate(careless.name, fakeRequest({ Authorization: 'Bearer t' }));
    expect(refused.info).toMatchObject({ description: 'audience not accepted' });
    // A verifier that declares the check is trusted with it (no second comparison).
    const declaring = strategy({ checksAudience: true, verify: async () => foreign });
    const trusted = await authenticate(declaring.name, fakeRequest({ Authorization: 'Bearer t' }));
    expect(trusted.user).toMatchObject({ subject: 'alice' });
  });

  it('reports a verifier outage as an error, not a failure', async () => {
    const s = strategy({
      verify: () => Promise.reject(new AccessTokenVerifierUnavailableError('JWKS unreachable')),
    });
    const outcome = await authenticate(s.name, fakeRequest({ Authorization: 'Bearer t' }));
    expect(outcome.error).toBeInstanceOf(AccessTokenVerifierUnavailableError);
  });

  it('lets the next strategy of a composition try after a refusal', async () => {
    const s = strategy({ verify: () => Promise.reject(new InvalidAccessTokenError('malformed')) });
    const host = new (class extends passport.Strategy {
      override authenticate(): void {
        this.success({ id: 'host-user' });
      }
    })();
    passport.use('host-composition-test', host);
    try {
      const outcome = await authenticate(
        [s.name, 'host-composition-test'],
        fakeRequest({ Authorization: 'Bearer not-ours' }),
      );
      expect(outcome.user).toEqual({ id: 'host-user' });
    } finally {
      passport.unuse('host-composition-test');
    }
  });
});
