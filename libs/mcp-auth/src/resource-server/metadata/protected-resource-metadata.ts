import type { ProtectedResource } from '../resource-server.config';

/** RFC 9728 §2 protected resource metadata, as this library publishes it (RS-4). */
export interface ProtectedResourceMetadata {
  /** The canonical resource URI, identical to the one the well-known URL is built from. */
  resource: string;
  /** Byte-identical to each authorization server's `issuer` (AS-4). */
  authorization_servers: string[];
  /** A minimal set; never `offline_access` (RS-4, 2026-07-28). */
  scopes_supported: string[];
  /** RS-5: the Authorization header only. */
  bearer_methods_supported: ['header'];
  resource_name?: string;
  resource_documentation?: string;
}

export function buildProtectedResourceMetadata(
  resource: ProtectedResource,
): ProtectedResourceMetadata {
  return {
    resource: resource.uri,
    authorization_servers: [...resource.authorizationServers],
    scopes_supported: resource.scopes.filter((scope) => scope !== 'offline_access'),
    bearer_methods_supported: ['header'],
    ...(resource.name !== undefined ? { resource_name: resource.name } : {}),
    ...(resource.documentation !== undefined
      ? { resource_documentation: resource.documentation }
      : {}),
  };
}
