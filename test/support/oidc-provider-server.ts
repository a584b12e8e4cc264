import type { Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { freePort } from './test-app';

/** The slice of node-oidc-provider's API these tests use (it ships no type declarations). */
interface OidcProvider {
  listen(port: number, host: string): Server;
}
type OidcProviderClass = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => OidcProvider;

/** A confidential client registered at the external authorization server. */
export interface OidcClient {
  clientId: string;
  clientSecret: string;
}

export interface ExternalAuthorizationServer {
  issuer: string;
  /** Client-credentials client that gets access tokens. */
  machine: OidcClient;
  /** The resource server's own client, allowed to introspect. */
  resourceServer: OidcClient;
  /** Access tokens for these resource indicators are opaque (introspection); others are JWTs. */
  opaqueResources: Set<string>;
  /** A token from the real token endpoint, over HTTP (client_credentials, RFC 8707 resource). */
  token(options: { scope: string; resource: string }): Promise<string>;
  /** URL of an endpoint, as the server's discovery document publishes it. */
  endpoint(name: 'jwks_uri' | 'introspection_endpoint'): Promise<string>;
  /** Requests the server has received so far for the path of `url`, counted at its socket. */
  requestCount(url: string): number;
  close(): Promise<void>;
}

/**
 * node-oidc-provider, an authorization server nobody here wrote, on a loopback port: client
 * credentials, RFC 8707 resource indicators (JWT access tokens per RFC 9068, or opaque ones for
 * the resources in `opaqueResources`) and RFC 7662 introspection.
 */
export async function startOidcProvider(
  options: { port?: number; kid?: string } = {},
): Promise<ExternalAuthorizationServer> {
  // Loaded as ESM through the VM-modules loader; a variable keeps tsc from wanting its types.
  const specifier = 'oidc-provider';
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
  try {
    const Provider = ((await import(specifier)) as { default: OidcProviderClass }).default;
    const port = options.port ?? (await freePort());
    const issuer = `http://127.0.0.1:${port}`;
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const signingKey = {
      ...(await exportJWK(privateKey)),
      kid: options.kid ?? 'oidc-key-1',
      alg: 'ES256',
      use: 'sig',
    };
    const machine = { clientId: 'machine', clientSecret: 'machine-secret-machine-secret' };
    const resourceServer = { clientId: 'mcp-rs', clientSecret: 'mcp-rs-secret-mcp-rs-secret' };
    const opaqueResources = new Set<string>();

    const provider = new Provider(issuer, {
      jwks: { keys: [signingKey] },
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      clients: [
        {
          client_id: machine.clientId,
          client_secret: machine.clientSecret,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: resourceServer.clientId,
          client_secret: resourceServer.clientSecret,
          grant_types: [],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      scopes: ['mcp:tools', 'mcp:resources', 'mcp:admin'],
      ttl: { ClientCredentials: 300 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: {
          enabled: true,
          allowedPolicy: async (_ctx: unknown, client: { clientId: string }) =>
            client.clientId === resourceServer.clientId,
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => undefined,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx: unknown, indicator: string) => ({
            scope: 'mcp:tools mcp:resources mcp:admin',
            audience: indicator,
            accessTokenTTL: 300,
            accessTokenFormat: opaqueResources.has(indicator) ? 'opaque' : 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
    });
    const server = provider.listen(port, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const requests = new Map<string, number>();
    server.on('request', (req: { url?: string }) => {
      const path = new URL(req.url ?? '/', issuer).pathname;
      requests.set(path, (requests.get(path) ?? 0) + 1);
    });

    return {
      issuer,
      machine,
      resourceServer,
      opaqueResources,
      async token({ scope, resource }) {
        const basic = Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64');
        const response = await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: {
            Authorization: `Basic ${basic}`,
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }),
        });
        const body = (await response.json()) as { access_token?: string; error?: string };
        if (!response.ok || !body.access_token) {
          throw new Error(`oidc-provider refused the token request: ${JSON.stringify(body)}`);
        }
        return body.access_token;
      },
      async endpoint(name) {
        const response = await fetch(`${issuer}/.well-known/openid-configuration`);
        const metadata = (await response.json()) as Record<string, unknown>;
        const url = metadata[name];
        if (typeof url !== 'string') throw new Error(`oidc-provider publishes no ${name}`);
        return url;
      },
      requestCount: (url) => requests.get(new URL(url, issuer).pathname) ?? 0,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
    };
  } finally {
    warn.mockRestore();
    info.mockRestore();
  }
}
