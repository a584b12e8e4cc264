import { McpAuthConfig } from '../../mcp-auth.config';
import type { McpAuthModuleOptions } from '../../mcp-auth-options.interface';
import { buildAuthorizationServerMetadata } from './authorization-server-metadata';

const options: McpAuthModuleOptions = {
  issuer: 'https://mcp.example.com',
  resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
  scopes: { 'mcp:tools': 'Call tools', offline_access: 'Stay signed in' },
  routePrefix: '/oauth',
};

describe('buildAuthorizationServerMetadata', () => {
  it('AS-4: uses the issuer unchanged and prefixes only the OAuth endpoints', () => {
    const metadata = buildAuthorizationServerMetadata(new McpAuthConfig(options));
    expect(metadata.issuer).toBe('https://mcp.example.com');
    expect(metadata.token_endpoint).toBe('https://mcp.example.com/oauth/token');
    expect(metadata.registration_endpoint).toBe('https://mcp.example.com/oauth/register');
    expect(metadata.jwks_uri).toBe('https://mcp.example.com/.well-known/jwks.json');
    expect(metadata.scopes_supported).toEqual(['mcp:tools', 'offline_access']);
  });

  it('AS-7: omits registration_endpoint when registration is disabled', () => {
    const metadata = buildAuthorizationServerMetadata(
      new McpAuthConfig({ ...options, registration: { enabled: false } }),
    );
    expect(metadata).not.toHaveProperty('registration_endpoint');
  });

  it('AS-18: advertises the prompt values the authorization endpoint honours', () => {
    const metadata = buildAuthorizationServerMetadata(new McpAuthConfig(options));
    expect(metadata.prompt_values_supported).toEqual(['none', 'login', 'consent']);
  });

  it('AS-11: advertises client_id_metadata_document_supported by default', () => {
    const metadata = buildAuthorizationServerMetadata(new McpAuthConfig(options));
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    expect(
      buildAuthorizationServerMetadata(
        new McpAuthConfig({ ...options, clientMetadataDocuments: { enabled: true } }),
      ).client_id_metadata_document_supported,
    ).toBe(true);
  });

  it('AS-11: omits client_id_metadata_document_supported when metadata documents are off', () => {
    const metadata = buildAuthorizationServerMetadata(
      new McpAuthConfig({ ...options, clientMetadataDocuments: { enabled: false } }),
    );
    expect(metadata).not.toHaveProperty('client_id_metadata_document_supported');
    // Registration is unaffected.
    expect(metadata.registration_endpoint).toBe('https://mcp.example.com/oauth/register');
  });

  it('is deeply frozen, so no request handler can change what every client sees', () => {
    const metadata = buildAuthorizationServerMetadata(new McpAuthConfig(options));
    expect(Object.isFrozen(metadata)).toBe(true);
    expect(Object.isFrozen(metadata.code_challenge_methods_supported)).toBe(true);
  });
});
