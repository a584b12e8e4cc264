import type { ExecutionContext } from '@nestjs/common';
import type { HttpResponse } from '../../http/http-exchange';
import type { VerifiedAccessToken } from '../access-token-verifier.interface';
import type { BearerGuard } from '../bearer.guard';
import { toMcpPrincipal, type McpPrincipal } from '../mcp-principal';
import { setRequestAuthContext, type RequestAuthContext } from '../request-auth-context';
import { ResourceServerConfig } from '../resource-server.config';
import {
  exposeAuthToMcpNest,
  MCP_NEST_RESOURCE_METADATA_URL,
  McpNestBearerGuard,
} from './mcp-nest-bearer.guard';

const config = ResourceServerConfig.fromOptions({
  resources: [{ uri: 'https://api.example.com/mcp', scopes: ['mcp:tools'] }],
  authorizationServers: ['https://as.example.com'],
  verifier: { type: 'jwks' },
  scopeHierarchy: { 'mcp:admin': ['mcp:tools'] },
});
const resource = config.resources[0];

function token(scopes: string[]): VerifiedAccessToken {
  return {
    token: 'opaque',
    issuer: 'https://as.example.com',
    clientId: 'client-1',
    subject: 'user-1',
    scopes,
    expiresAt: undefined,
    audience: [resource.uri],
    resource: resource.uri,
    jti: undefined,
    claims: { sub: 'user-1', scope: scopes.join(' ') },
  };
}

/** A request as BearerGuard leaves it: its auth context, and the principal as `user`. */
function authenticated(verified: VerifiedAccessToken | undefined): Record<PropertyKey, unknown> {
  const request: Record<PropertyKey, unknown> = {};
  const context = {
    resource,
    requiredScopes: ['mcp:tools'],
    scopeHierarchy: config.scopeHierarchy,
    response: {} as HttpResponse,
    token: verified,
  } as unknown as RequestAuthContext;
  setRequestAuthContext(request, context);
  if (verified) request.user = toMcpPrincipal(verified);
  return request;
}

describe('exposeAuthToMcpNest', () => {
  it("publishes the resource's metadata URL where @rekog/mcp-nest's step-up challenge reads it", () => {
    const request = authenticated(token(['mcp:tools']));
    exposeAuthToMcpNest(request);
    expect(MCP_NEST_RESOURCE_METADATA_URL).toBe(
      Symbol.for('@rekog/mcp-nest:resource-metadata-url'),
    );
    expect(request[MCP_NEST_RESOURCE_METADATA_URL]).toBe(
      'https://api.example.com/.well-known/oauth-protected-resource/mcp',
    );
  });

  it('leaves the principal as it is when the hierarchy implies nothing more', () => {
    const request = authenticated(token(['mcp:tools']));
    const before = request.user;
    exposeAuthToMcpNest(request);
    expect(request.user).toBe(before);
  });

  it('gives mcp-nest the scopes the token amounts to under the scope hierarchy (scope and scopes)', () => {
    const verified = token(['mcp:admin']);
    const request = authenticated(verified);
    exposeAuthToMcpNest(request);
    const user = request.user as McpPrincipal;
    expect(user).toEqual({
      subject: 'user-1',
      clientId: 'client-1',
      scopes: ['mcp:admin', 'mcp:tools'],
      scope: 'mcp:admin mcp:tools',
      claims: verified.claims,
      machine: false,
    });
    // The granted scopes are still in the claims.
    expect(user.claims.scope).toBe('mcp:admin');
  });

  it('keeps a frozen principal frozen', () => {
    const verified = Object.freeze(token(['mcp:admin']));
    const request = authenticated(verified);
    exposeAuthToMcpNest(request);
    expect(Object.isFrozen(request.user)).toBe(true);
    expect((request.user as McpPrincipal).scope).toBe('mcp:admin mcp:tools');
  });

  it('does nothing on a request BearerGuard let through without a token (@Public) or never saw', () => {
    const publicRoute = authenticated(undefined);
    exposeAuthToMcpNest(publicRoute);
    expect(publicRoute[MCP_NEST_RESOURCE_METADATA_URL]).toBeUndefined();
    const unseen: Record<PropertyKey, unknown> = {};
    exposeAuthToMcpNest(unseen);
    expect(Object.getOwnPropertySymbols(unseen)).toEqual([]);
  });
});

describe('McpNestBearerGuard', () => {
  function httpContext(request: object): ExecutionContext {
    return {
      getType: () => 'http',
      getArgByIndex: (index: number) => (index === 0 ? request : undefined),
    } as unknown as ExecutionContext;
  }

  it('runs BearerGuard, then hands its outcome to mcp-nest', async () => {
    const request = authenticated(token(['mcp:admin']));
    const bearer = { canActivate: jest.fn(() => Promise.resolve(true)) };
    const guard = new McpNestBearerGuard(bearer as unknown as BearerGuard);
    const context = httpContext(request);
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(bearer.canActivate).toHaveBeenCalledWith(context);
    expect(request[MCP_NEST_RESOURCE_METADATA_URL]).toBe(resource.metadataUrl);
    expect((request.user as McpPrincipal).scope).toBe('mcp:admin mcp:tools');
  });

  it("rethrows BearerGuard's challenge untouched", async () => {
    const challenge = new Error('401');
    const bearer = { canActivate: () => Promise.reject(challenge) };
    const guard = new McpNestBearerGuard(bearer as unknown as BearerGuard);
    await expect(guard.canActivate(httpContext({}))).rejects.toBe(challenge);
  });

  it('passes a refusal through without touching the request', async () => {
    const request = authenticated(token(['mcp:admin']));
    const bearer = { canActivate: () => false };
    const guard = new McpNestBearerGuard(bearer as unknown as BearerGuard);
    await expect(guard.canActivate(httpContext(request))).resolves.toBe(false);
    expect(request[MCP_NEST_RESOURCE_METADATA_URL]).toBeUndefined();
  });
});
