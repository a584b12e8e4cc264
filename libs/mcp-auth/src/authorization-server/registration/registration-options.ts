import type { TokenEndpointAuthMethod } from '../../storage/client-store.interface';

/** A client known before any registration (RFC 7591 metadata names). */
export interface StaticClientOptions {
  client_id: string;
  /** Plain secret for confidential clients; stored hashed. */
  client_secret?: string;
  /** Required unless every grant type is a machine grant (client_credentials, jwt-bearer). */
  redirect_uris?: string[];
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  grant_types?: string[];
  client_name?: string;
  scope?: string;
  application_type?: 'web' | 'native';
  /** `private_key_jwt`: the client's public keys (exactly one of `jwks` and `jwks_uri`). */
  jwks?: { keys: Record<string, unknown>[] };
  jwks_uri?: string;
}

/** What a registration policy hook may answer. */
export type RegistrationDecision =
  | { action: 'accept' }
  /** Accept with changed metadata (e.g. a narrower `scope`). */
  | { action: 'amend'; metadata: Record<string, unknown> }
  | {
      action: 'reject';
      error?: 'invalid_client_metadata' | 'invalid_redirect_uri';
      description: string;
    };

export interface RegistrationOptions {
  /** Serve RFC 7591 dynamic registration at `/register`. Default true. */
  enabled?: boolean;
  /** Lifetime of issued client secrets in seconds; 0 means they never expire. Default 0. */
  clientSecretTtl?: number;
  /**
   * Treat the `scope` a client declares at registration as the most it may ever request.
   * Default false: MCP clients register with the scope of the first challenge (SEP-835) and
   * later step up with the same client (RS-9), which an enforced `scope` would refuse.
   * Pre-registered clients' `scope` is always enforced; a policy can still narrow or reject.
   */
  enforceClientScope?: boolean;
  /** Inspect every registration after validation. */
  policy?: (
    metadata: Readonly<Record<string, unknown>>,
    context: { ip: string | undefined },
  ) => RegistrationDecision | Promise<RegistrationDecision>;
}

/** The module options of the clients: those configured up front and dynamic registration. */
export interface ClientRegistrationOptions {
  clients?: StaticClientOptions[];
  registration?: RegistrationOptions;
}

/** Problems with `registration` and `clients`, worded like the module's other option errors. */
export function validateClientRegistrationOptions(options: ClientRegistrationOptions): string[] {
  const problems: string[] = [];
  if (
    options.registration?.clientSecretTtl !== undefined &&
    !(options.registration.clientSecretTtl >= 0)
  ) {
    problems.push('registration.clientSecretTtl must be 0 (never expires) or a positive number');
  }
  problems.push(...validateStaticClients(options.clients));
  return problems;
}

function validateStaticClients(clients: StaticClientOptions[] | undefined): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [i, client] of (clients ?? []).entries()) {
    const where = `clients[${i}]`;
    if (!client.client_id || typeof client.client_id !== 'string') {
      problems.push(`${where}.client_id is required`);
    } else if (/^https?:/i.test(client.client_id)) {
      // Such ids name Client ID Metadata Documents, fetched rather than configured.
      problems.push(`${where}.client_id must not be a URL (URLs are metadata document client ids)`);
    } else if (ids.has(client.client_id)) {
      problems.push(`${where}.client_id "${client.client_id}" is configured twice`);
    } else {
      ids.add(client.client_id);
    }
    const machineOnly =
      Array.isArray(client.grant_types) && !client.grant_types.includes('authorization_code');
    if (
      !machineOnly &&
      (!Array.isArray(client.redirect_uris) || client.redirect_uris.length === 0)
    ) {
      problems.push(`${where}.redirect_uris must list at least one URI`);
    }
    const method =
      client.token_endpoint_auth_method ?? (client.client_secret ? 'client_secret_basic' : 'none');
    if (
      !['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'].includes(method)
    ) {
      problems.push(
        `${where}.token_endpoint_auth_method must be none, client_secret_basic, client_secret_post or private_key_jwt`,
      );
    } else if ((method === 'none' || method === 'private_key_jwt') && client.client_secret) {
      problems.push(`${where} uses ${method} but has a client_secret`);
    } else if (method.startsWith('client_secret') && !client.client_secret) {
      problems.push(`${where} uses ${method} but has no client_secret`);
    } else if (
      method === 'private_key_jwt' &&
      (client.jwks === undefined) === (client.jwks_uri === undefined)
    ) {
      problems.push(`${where} uses private_key_jwt and needs exactly one of jwks and jwks_uri`);
    }
    if (client.client_secret !== undefined && client.client_secret.length < 16) {
      problems.push(`${where}.client_secret must be at least 16 characters`);
    }
  }
  return problems;
}
