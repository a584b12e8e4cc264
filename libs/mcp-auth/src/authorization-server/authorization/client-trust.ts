import { LOOPBACK_HOSTS } from '../../oauth/loopback';
import type { ClientRecord } from '../../storage/client-store.interface';

/** What the pages and the consent rules need to know about who a client is. */
export interface ClientTrust {
  /**
   * The client does not authenticate (`token_endpoint_auth_method: none`): anyone can present
   * its client_id (RFC 8252 §8.6).
   */
  publicClient: boolean;
  /** Metadata-document clients: the host of the client_id URL; null for registered clients. */
  clientIdHost: string | null;
  /** Every redirect URI of the client is on the loopback interface. */
  loopbackOnly: boolean;
}

/** How far a client's identity is established, for remembering consent. */
export type Rememberability = 'proven' | 'public' | 'never';

export function clientTrust(client: ClientRecord | null): ClientTrust {
  return {
    publicClient: isPublic(client),
    clientIdHost: client?.source === 'metadata_document' ? new URL(client.clientId).host : null,
    loopbackOnly: client !== null && isLoopbackOnly(client),
  };
}

/**
 * `proven` for clients that authenticate; `never` for a public metadata-document client whose
 * codes can only go to loopback, since a local program can claim any document's URL (AS-17);
 * `public` otherwise.
 */
export function rememberability(client: ClientTrust): Rememberability {
  if (!client.publicClient) return 'proven';
  return client.clientIdHost !== null && client.loopbackOnly ? 'never' : 'public';
}

function isLoopbackOnly(client: Pick<ClientRecord, 'redirectUris'>): boolean {
  return client.redirectUris.every((uri) => {
    try {
      return LOOPBACK_HOSTS.has(new URL(uri).hostname);
    } catch {
      return false;
    }
  });
}

/** A client that is gone counts as public: nothing about it is proven. */
function isPublic(client: Pick<ClientRecord, 'tokenEndpointAuthMethod'> | null): boolean {
  return client === null || client.tokenEndpointAuthMethod === 'none';
}
