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
  /**
   * Opaque stamp of the stored row that changes whenever the row does, set by `findById` when
   * the store can tell (on Postgres the row version). The token endpoint then reuses a client
   * read moments ago, and the grant's own statement confirms the row is unchanged (a deleted
   * or rotated client is re-read at once). Stores that leave it unset are read every time.
   */
  version?: string;
}

export type NewClient = Omit<ClientRecord, 'createdAt' | 'documentExpiresAt' | 'version'> & {
  documentExpiresAt?: Date | null;
};

/** What {@link ClientStore.delete} did. */
export interface ClientDeletion {
  /** The grants it revoked, for this instance's deny-list (the others hear it by NOTIFY). */
  revokedGrantIds: string[];
}

/** One page of {@link ClientStore.list}. */
export interface ClientListQuery {
  /** Only clients from this source. Default: every source. */
  source?: ClientSource;
  /** Page size, 1 to {@link MAX_CLIENT_PAGE_SIZE}. */
  limit: number;
  /** `nextCursor` of the previous page; opaque. */
  cursor?: string;
}

export interface ClientListPage {
  /** By client_id, in the database's order of text (the primary key's). */
  clients: ClientRecord[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/** Largest page {@link ClientStore.list} serves. */
export const MAX_CLIENT_PAGE_SIZE = 200;

/** A `list` cursor this store did not hand out, or a limit out of range. */
export class InvalidClientListQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidClientListQueryError';
  }
}

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
  /**
   * Removes a client and everything issued to it; its live grants are revoked (and the
   * deny-lists notified). Returns the ids of those grants, or null when it did not exist.
   */
  delete(clientId: string): Promise<ClientDeletion | null>;
  /**
   * Removes every pre-registered (`static`) client whose id is not in `keep`, as `delete`
   * does: a client taken out of the configuration stops working. Returns the removed ids.
   */
  pruneStatic(keep: readonly string[]): Promise<string[]>;
  /**
   * Clients of this issuer by client_id, by keyset pagination: a page never skips or repeats a
   * client while others are added. Throws {@link InvalidClientListQueryError} for a foreign
   * cursor or a limit out of range.
   */
  list(query: ClientListQuery): Promise<ClientListPage>;
}

export const ClientStore = Symbol('McpAuth:ClientStore');

/** Injects the `ClientStore`. @publicApi */
export const InjectClientStore = (): ParameterDecorator & PropertyDecorator => Inject(ClientStore);
