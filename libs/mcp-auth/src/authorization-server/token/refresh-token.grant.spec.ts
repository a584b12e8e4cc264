import { Logger } from '@nestjs/common';
import type { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import type { McpAuthModuleOptions } from '../../mcp-auth-options.interface';
import { OAuthError } from '../../oauth/oauth-error';
import type { ClientRecord } from '../../storage/client-store.interface';
import type {
  GrantStore,
  RefreshTokenRecord,
  RefreshTokenRotation,
  RefreshTokenRotationRequest,
} from '../../storage/grant-store.interface';
import { hashSecret } from '../../tokens/secret-hash';
import { FormParameters } from '../client-authentication/form-parameters';
import { RefreshTokenGrant } from './refresh-token.grant';
import type { TokenIssuanceService } from './token-issuance.service';

const ISSUER = 'https://mcp.example.com';
const RESOURCE = `${ISSUER}/mcp`;

const previous: RefreshTokenRecord = {
  tokenHash: 'old-hash',
  grantId: 'grant-1',
  clientId: 'client-1',
  subject: 'alice',
  scopes: ['mcp:tools', 'mcp:resources'],
  resource: RESOURCE,
  createdAt: new Date(),
  expiresAt: new Date(Date.now() + 60_000),
  rotatedAt: null,
};

const client = { clientId: 'client-1', grantTypes: ['refresh_token'] } as ClientRecord;

function setUp(options: Partial<McpAuthModuleOptions> = {}) {
  const config = new McpAuthConfig({
    issuer: ISSUER,
    resources: [{ path: '/mcp', scopes: ['mcp:tools', 'mcp:resources'] }],
    scopes: { 'mcp:tools': 'Tools', 'mcp:resources': 'Resources' },
    ...options,
  });
  let rotation: RefreshTokenRotation | ((r: RefreshTokenRotationRequest) => RefreshTokenRotation) =
    {
      status: 'not_found',
    };
  const grants = {
    rotateRefreshToken: jest.fn(
      async (request: RefreshTokenRotationRequest): Promise<RefreshTokenRotation> =>
        typeof rotation === 'function' ? rotation(request) : rotation,
    ),
    revokeGrant: jest.fn(async () => true),
  };
  const issuance = {
    newRefreshToken: () => ({ token: 'new', tokenHash: 'new-hash', expiresAt: new Date() }),
    respond: jest.fn(async (subject: { scopes: readonly string[] }, refreshToken?: string) => ({
      access_token: 'at',
      token_type: 'Bearer' as const,
      expires_in: 600,
      scope: subject.scopes.join(' '),
      refresh_token: refreshToken,
    })),
  };
  const audit = { emit: jest.fn() };
  const grant = new RefreshTokenGrant(
    grants as unknown as GrantStore,
    issuance as unknown as TokenIssuanceService,
    config,
    audit as unknown as McpAuthAudit,
  );
  return {
    grant,
    grants,
    issuance,
    audit,
    setRotation: (value: typeof rotation) => {
      rotation = value;
    },
  };
}

const params = (body: Record<string, string>) =>
  FormParameters.fromObject({ refresh_token: 'rt', ...body });

async function oauthError(promise: Promise<unknown>): Promise<OAuthError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

describe('RefreshTokenGrant (AS-23)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('keeps the successor scope equal to the old one and narrows only the access token', async () => {
    const { grant, grants, issuance, audit, setRotation } = setUp();
    setRotation((request) => ({
      status: 'rotated',
      previous,
      next: {
        ...previous,
        tokenHash: request.successorHash,
        expiresAt: request.successorExpiresAt,
        createdAt: new Date(),
        rotatedAt: null,
      },
    }));
    const response = await grant.exchange(client, params({ scope: 'mcp:tools' }));
    expect(response).toMatchObject({ scope: 'mcp:tools', refresh_token: 'new' });
    // Audited with the access token's (narrowed) scope; no token value in the event.
    expect(audit.emit).toHaveBeenCalledWith({
      type: 'token.refreshed',
      client_id: 'client-1',
      subject: 'alice',
      grant_id: 'grant-1',
      scopes: ['mcp:tools'],
      resource: RESOURCE,
    });
    // The store is asked declaratively: hashes only, the requested scope to judge.
    expect(grants.rotateRefreshToken).toHaveBeenCalledWith({
      tokenHash: hashSecret('rt'),
      clientId: 'client-1',
      requestedScopes: ['mcp:tools'],
      requestedResource: undefined,
      successorHash: 'new-hash',
      successorExpiresAt: expect.any(Date),
    });
    expect(issuance.respond).toHaveBeenCalledWith(
      expect.objectContaining({ scopes: ['mcp:tools'], resource: RESOURCE, grantId: 'grant-1' }),
      'new',
    );
  });

  it('answers invalid_scope when the store refuses a widening (nothing rotated)', async () => {
    const { grant, grants, setRotation } = setUp();
    setRotation({ status: 'invalid_scope' });
    const error = await oauthError(grant.exchange(client, params({ scope: 'mcp:admin' })));
    expect(error.error).toBe('invalid_scope');
    expect(grants.rotateRefreshToken.mock.calls[0][0].requestedScopes).toEqual(['mcp:admin']);
    expect(grants.revokeGrant).not.toHaveBeenCalled();
  });

  it('answers invalid_target when the store refuses another resource', async () => {
    const { grant, setRotation } = setUp();
    setRotation({ status: 'invalid_target' });
    const error = await oauthError(grant.exchange(client, params({ resource: RESOURCE })));
    expect(error.error).toBe('invalid_target');
  });

  it('refuses a resource this server does not serve before asking the store', async () => {
    const { grant, grants } = setUp();
    const error = await oauthError(
      grant.exchange(client, params({ resource: 'https://elsewhere.example/mcp' })),
    );
    expect(error.error).toBe('invalid_target');
    expect(grants.rotateRefreshToken).not.toHaveBeenCalled();
  });

  it('revokes the family on reuse outside the grace window', async () => {
    const { grant, grants, audit, setRotation } = setUp({
      tokens: { refreshReuseGraceSeconds: 10 },
    });
    setRotation({ status: 'reused', grantId: 'grant-1', rotatedAt: new Date(Date.now() - 11_000) });
    expect((await oauthError(grant.exchange(client, params({})))).error).toBe('invalid_grant');
    expect(grants.revokeGrant).toHaveBeenCalledWith('grant-1', 'refresh_token_reuse');
    expect(audit.emit.mock.calls.map(([event]) => event)).toEqual([
      {
        type: 'refresh_token.reused',
        client_id: 'client-1',
        grant_id: 'grant-1',
        grant_revoked: true,
      },
      {
        type: 'grant.revoked',
        client_id: 'client-1',
        grant_id: 'grant-1',
        reason: 'refresh_token_reuse',
        actor: 'system',
      },
    ]);
  });

  it('only refuses a reuse inside the grace window', async () => {
    const { grant, grants, audit, setRotation } = setUp({
      tokens: { refreshReuseGraceSeconds: 10 },
    });
    setRotation({ status: 'reused', grantId: 'grant-1', rotatedAt: new Date(Date.now() - 2_000) });
    expect((await oauthError(grant.exchange(client, params({})))).error).toBe('invalid_grant');
    expect(grants.revokeGrant).not.toHaveBeenCalled();
    expect(audit.emit.mock.calls.map(([event]) => event)).toEqual([
      {
        type: 'refresh_token.reused',
        client_id: 'client-1',
        grant_id: 'grant-1',
        grant_revoked: false,
      },
    ]);
  });

  it('revokes on any reuse when there is no grace window', async () => {
    const { grant, grants, setRotation } = setUp({ tokens: { refreshReuseGraceSeconds: 0 } });
    setRotation({ status: 'reused', grantId: 'grant-1', rotatedAt: new Date() });
    await oauthError(grant.exchange(client, params({})));
    expect(grants.revokeGrant).toHaveBeenCalledWith('grant-1', 'refresh_token_reuse');
  });

  it('by default refuses a reuse within 2 seconds without revoking, and revokes after', async () => {
    const recent = setUp();
    recent.setRotation({ status: 'reused', grantId: 'grant-1', rotatedAt: new Date() });
    await oauthError(recent.grant.exchange(client, params({})));
    expect(recent.grants.revokeGrant).not.toHaveBeenCalled();

    const old = setUp();
    old.setRotation({
      status: 'reused',
      grantId: 'grant-1',
      rotatedAt: new Date(Date.now() - 5000),
    });
    await oauthError(old.grant.exchange(client, params({})));
    expect(old.grants.revokeGrant).toHaveBeenCalledWith('grant-1', 'refresh_token_reuse');
  });

  it.each(['revoked', 'expired', 'not_found'] as const)(
    'answers invalid_grant for a %s token without revoking anything',
    async (status) => {
      const { grant, grants, setRotation } = setUp();
      setRotation({ status });
      expect((await oauthError(grant.exchange(client, params({})))).error).toBe('invalid_grant');
      expect(grants.revokeGrant).not.toHaveBeenCalled();
    },
  );
});
