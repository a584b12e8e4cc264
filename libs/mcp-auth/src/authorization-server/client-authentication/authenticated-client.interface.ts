import type { ClientRecord, TokenEndpointAuthMethod } from '../../storage/client-store.interface';

/** A client whose credentials were checked at the token, revocation or introspection endpoint. */
export interface AuthenticatedClient {
  client: ClientRecord;
  /** The method the request actually used; always the client's registered one (AS-20). */
  method: TokenEndpointAuthMethod;
}
