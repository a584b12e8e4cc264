import { Injectable } from '@nestjs/common';
import {
  type ClientRecord,
  type ClientStore,
  InjectClientStore,
} from '../../storage/client-store.interface';
import { ClientMetadataDocumentError } from './client-metadata-document.error';
import { ClientMetadataDocuments } from './client-metadata-documents.service';

/** Longest `client_id` looked up anywhere (RFC 7591 ids we mint are 22 chars). */
export const MAX_CLIENT_ID_LENGTH = 1024;

/** How long a client read for authentication may be reused by the code and refresh grants. */
const REUSE_MS = 30_000;
/** Clients remembered at most (oldest out first); a miss only costs the usual read. */
const MAX_REMEMBERED = 10_000;

/**
 * Finds the client a `client_id` names. A client_id that starts with `https:` (or `http:`, to
 * be refused with a reason) is a Client ID Metadata Document URL (AS-11); anything else is a
 * registered client, looked up in the store.
 *
 * - At the authorization endpoint the document is fetched when the cached copy is stale, so a
 *   changed document takes effect and a withdrawn one stops new authorizations.
 * - At the token, revocation and introspection endpoints the stored copy is used as it is: a
 *   grant already given keeps working while the client's site is briefly down, and no request
 *   there makes the server fetch anything.
 *
 * With metadata documents turned off, such clients are unknown everywhere.
 */
@Injectable()
export class ClientLookup {
  /** Recently read clients that carry a `version`, so a grant statement can confirm them. */
  private readonly recent = new Map<string, { client: ClientRecord; until: number }>();

  constructor(
    @InjectClientStore() private readonly clients: ClientStore,
    private readonly documents: ClientMetadataDocuments,
  ) {}

  /**
   * The client starting an authorization, or null when it is unknown.
   * @throws ClientMetadataDocumentError when its metadata document cannot be used
   */
  async forAuthorization(clientId: string): Promise<ClientRecord | null> {
    if (!isUrlShaped(clientId)) return this.forAuthentication(clientId);
    if (!this.documents.enabled) return null;
    return this.documents.resolve(clientId);
  }

  /** The client presenting `clientId` at the token, revocation or introspection endpoint. */
  async forAuthentication(clientId: string): Promise<ClientRecord | null> {
    const client = await this.clients.findById(clientId);
    if (client?.source === 'metadata_document' && !this.documents.enabled) return null;
    if (client?.version !== undefined) this.remember(client);
    return client;
  }

  /**
   * The client as read for authentication in the last 30 s, if it was and its store gives a
   * `version`; no database round trip. Only for callers whose own statement confirms that
   * version (the code and refresh grants) and that read the client again when it does not.
   */
  recentlyAuthenticated(clientId: string): ClientRecord | undefined {
    const entry = this.recent.get(clientId);
    if (entry === undefined) return undefined;
    if (entry.until > Date.now()) return entry.client;
    this.recent.delete(clientId);
    return undefined;
  }

  private remember(client: ClientRecord): void {
    this.recent.delete(client.clientId);
    if (this.recent.size >= MAX_REMEMBERED) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
    this.recent.set(client.clientId, { client, until: Date.now() + REUSE_MS });
  }
}

/**
 * Whether a client_id is meant as a URL, so that a malformed one gets an explanation instead
 * of "not registered". Registered ids never look like this: minted ids are random, and
 * pre-registered ids may not start with a scheme.
 */
export function isUrlShaped(clientId: string): boolean {
  return /^https?:/i.test(clientId);
}

export { ClientMetadataDocumentError };
