import { Inject } from '@nestjs/common';

/** How a client authenticates at the token, revocation and introspection endpoints. */
export type TokenEndpointAuthMethod =
  | 'none'
  | 'client_secret_basic'
  | 'client_secret_post'
  /** A JWT signed with the client's key (RFC 7523 §2.2), its keys in `jwks` / `jwks_uri`. */
  | 'private_key_jwt';

/**
 * Where a client record came from: RFC 7591 registration, the module options, or a Client ID
 * Metadata Document fetched from the URL that is its client_id (the record is then the cached
 * copy of that document).
 */
export type ClientSource = 'dynamic' | 'static' | 'metadata_document';

/** A registered client as the stores keep it. The secret exists only as a hash. */
export interface ClientRecord {
  clientId: string;
  /** SHA-256 of the secret (see `hashSecret`); null for public clients. */
  clientSecretHash: string | null;
  /** null: the secret never expires (RFC 7591 `client_secret_expires_at: 0`). */
  clientSecretExpiresAt: Date | null;
  redirectUris: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  grantTypes: string[];
  responseTypes: string[];
  applicationType: 'web' | 'native';
  clientName: string | null;
  /** Space-separated scopes the client may ask for; null: any supported scope. */
  scope: string | null;
  /** Remaining RFC 7591 metadata (client_uri, logo_uri, contacts, ...), echoed back verbatim. */
  metadata: Record<string, unknown>;
  source: ClientSource;
  /**
   * `metadata_document` clients: when the cached document must be fetched again before the
   * client starts another authorization. null for every other client.
   */
  documentExpiresAt: Date | null;
  createdAt: Date;
}

export type NewClient = Omit<ClientRecord, 'createdAt' | 'documentExpiresAt'> & {
  documentExpiresAt?: Date | null;
};

/**
 * Registered OAuth clients of one issuer.
 * @publicApi
 */
export interface ClientStore {
  /** Inserts a client; fails if the id is taken. */
  create(client: NewClient): Promise<ClientRecord>;
  /** Inserts or replaces a client (pre-registered clients are re-applied at every boot). */
  upsert(client: NewClient): Promise<ClientRecord>;
  findById(clientId: string): Promise<ClientRecord | null>;
  /** Removes a client and everything issued to it. Returns false when it did not exist. */
  delete(clientId: string): Promise<boolean>;
  /**
   * Removes every pre-registered (`static`) client whose id is not in `keep`, as `delete`
   * does: a client taken out of the configuration stops working. Returns the removed ids.
   */
  pruneStatic(keep: readonly string[]): Promise<string[]>;
}

export const ClientStore = Symbol('McpAuth:ClientStore');

/** Injects the `ClientStore`. @publicApi */
export const InjectClientStore = (): ParameterDecorator & PropertyDecorator => Inject(ClientStore);
