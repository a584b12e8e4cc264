import type { ClientRecord } from '../../storage/client-store.interface';
import { clientTrust, rememberability } from './client-trust';

const DOCUMENT_URL = 'https://agent.example.com/oauth/client.json';

function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: 'dynamic-client',
    clientSecretHash: null,
    clientSecretExpiresAt: null,
    redirectUris: ['http://127.0.0.1:4000/callback'],
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    applicationType: 'native',
    clientName: 'Agent',
    scope: null,
    metadata: {},
    source: 'dynamic',
    documentExpiresAt: null,
    createdAt: new Date(),
    ...overrides,
  };
}

/** A public client known by its metadata document. */
const documentClient = (redirectUris: string[], clientId = DOCUMENT_URL) =>
  client({
    clientId,
    redirectUris,
    source: 'metadata_document',
    documentExpiresAt: new Date(Date.now() + 60_000),
  });

describe('clientTrust and rememberability (AS-17)', () => {
  it('a client that is gone is public and nothing more', () => {
    const trust = clientTrust(null);
    expect(trust).toEqual({ publicClient: true, clientIdHost: null, loopbackOnly: false });
    expect(rememberability(trust)).toBe('public');
  });

  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'a confidential client (%s) is proven, even with loopback redirects only',
    (method) => {
      const trust = clientTrust(
        client({ tokenEndpointAuthMethod: method, clientSecretHash: 'hash' }),
      );
      expect(trust).toEqual({ publicClient: false, clientIdHost: null, loopbackOnly: true });
      expect(rememberability(trust)).toBe('proven');
    },
  );

  it('a public registered client is public, loopback or not', () => {
    const loopback = clientTrust(client());
    expect(loopback).toEqual({ publicClient: true, clientIdHost: null, loopbackOnly: true });
    expect(rememberability(loopback)).toBe('public');

    const web = clientTrust(
      client({ source: 'static', redirectUris: ['https://app.example.com/callback'] }),
    );
    expect(web).toEqual({ publicClient: true, clientIdHost: null, loopbackOnly: false });
    expect(rememberability(web)).toBe('public');
  });

  it('a metadata-document client whose codes only go to loopback is never remembered', () => {
    const trust = clientTrust(
      documentClient([
        'http://127.0.0.1:4000/callback',
        'http://localhost/callback',
        'http://[::1]:8080/callback',
      ]),
    );
    expect(trust).toEqual({
      publicClient: true,
      clientIdHost: 'agent.example.com',
      loopbackOnly: true,
    });
    expect(rememberability(trust)).toBe('never');
  });

  it('a metadata-document client with a web redirect is public', () => {
    const trust = clientTrust(documentClient(['https://agent.example.com/callback']));
    expect(trust).toEqual({
      publicClient: true,
      clientIdHost: 'agent.example.com',
      loopbackOnly: false,
    });
    expect(rememberability(trust)).toBe('public');
  });

  it('a metadata-document client with loopback and web redirects is public', () => {
    const trust = clientTrust(
      documentClient(['http://127.0.0.1:4000/callback', 'https://agent.example.com/callback']),
    );
    expect(trust.loopbackOnly).toBe(false);
    expect(rememberability(trust)).toBe('public');
  });

  it('a redirect URI that does not parse does not count as loopback', () => {
    const trust = clientTrust(documentClient(['http://127.0.0.1:4000/callback', 'not a uri']));
    expect(trust.loopbackOnly).toBe(false);
    expect(rememberability(trust)).toBe('public');
    expect(clientTrust(documentClient(['::'])).loopbackOnly).toBe(false);
  });

  it('a host that merely starts like a loopback one is not loopback', () => {
    const trust = clientTrust(
      documentClient(['http://127.0.0.1.nip.io/callback', 'https://localhost.example.com/cb']),
    );
    expect(trust.loopbackOnly).toBe(false);
  });

  it('a private-use scheme redirect is not loopback', () => {
    expect(clientTrust(documentClient(['com.example.agent:/callback'])).loopbackOnly).toBe(false);
  });

  it('names the client_id host with its port, and nothing for registered clients', () => {
    expect(
      clientTrust(documentClient([], 'https://agent.example.com:8443/client.json')).clientIdHost,
    ).toBe('agent.example.com:8443');
    expect(clientTrust(documentClient([], 'https://Agent.Example.COM/c')).clientIdHost).toBe(
      'agent.example.com',
    );
    expect(clientTrust(client({ clientId: DOCUMENT_URL })).clientIdHost).toBeNull();
  });

  it('rememberability reads only what clientTrust decided', () => {
    expect(
      rememberability({
        publicClient: false,
        clientIdHost: 'agent.example.com',
        loopbackOnly: true,
      }),
    ).toBe('proven');
    expect(
      rememberability({
        publicClient: true,
        clientIdHost: 'agent.example.com',
        loopbackOnly: true,
      }),
    ).toBe('never');
    expect(rememberability({ publicClient: true, clientIdHost: null, loopbackOnly: true })).toBe(
      'public',
    );
    expect(
      rememberability({
        publicClient: true,
        clientIdHost: 'agent.example.com',
        loopbackOnly: false,
      }),
    ).toBe('public');
  });
});
