import type { ResolvedResource } from '../../mcp-auth.config';
import type { ClientRecord } from '../../storage/client-store.interface';
import { machineScopes } from './machine-scopes';

const resource: ResolvedResource = {
  path: '/mcp',
  uri: 'https://mcp.example.com/mcp',
  scopes: ['mcp:tools', 'mcp:admin', 'mcp:read'],
  defaultScopes: ['mcp:tools', 'mcp:read'],
  name: undefined,
};

const client = (scope: string | null): ClientRecord => ({
  clientId: 'machine',
  clientSecretHash: 'h',
  clientSecretExpiresAt: null,
  redirectUris: [],
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['client_credentials'],
  responseTypes: [],
  applicationType: 'web',
  clientName: null,
  scope,
  metadata: {},
  source: 'static',
  documentExpiresAt: null,
  createdAt: new Date(),
});

describe('machineScopes', () => {
  it('grants the resource defaults the client may have when nothing is asked for', () => {
    expect(machineScopes([], client(null), resource)).toEqual(['mcp:tools', 'mcp:read']);
    expect(machineScopes([], client('mcp:read mcp:admin'), resource)).toEqual(['mcp:read']);
  });

  it('grants what is asked within the client scope and the resource, deduplicated', () => {
    expect(machineScopes(['mcp:admin', 'mcp:admin'], client(null), resource)).toEqual([
      'mcp:admin',
    ]);
    expect(machineScopes(['mcp:read'], client('mcp:read'), resource)).toEqual(['mcp:read']);
  });

  it.each<[string, string[], string | null, string[] | undefined]>([
    ['beyond the client scope', ['mcp:admin'], 'mcp:tools', undefined],
    ['unknown to the resource', ['other:scope'], null, undefined],
    [
      'offline_access (no refresh token is issued)',
      ['offline_access'],
      'offline_access',
      undefined,
    ],
    ['beyond the operator limit', ['mcp:admin'], null, ['mcp:tools']],
  ])('refuses a scope %s with invalid_scope', (_case, requested, scope, limit) => {
    expect(() => machineScopes(requested, client(scope), resource, limit)).toThrow(
      expect.objectContaining({ error: 'invalid_scope' }),
    );
  });
});

describe('machineScopes for the administration API', () => {
  const admin: ResolvedResource = {
    path: '/admin',
    uri: 'https://mcp.example.com/admin',
    scopes: ['ops:admin'],
    defaultScopes: ['ops:admin'],
    name: 'Administration API',
    administration: true,
  };

  it('grants the scope only to a client registered with it', () => {
    expect(machineScopes([], client('ops:admin mcp:tools'), admin)).toEqual(['ops:admin']);
    expect(machineScopes(['ops:admin'], client('ops:admin'), admin)).toEqual(['ops:admin']);
  });

  it.each<[string | null]>([[null], ['mcp:tools']])(
    'refuses a client registered with scope %p (not "every scope of the resource")',
    (scope) => {
      expect(() => machineScopes([], client(scope), admin)).toThrow(
        expect.objectContaining({ error: 'invalid_scope' }),
      );
    },
  );
});
