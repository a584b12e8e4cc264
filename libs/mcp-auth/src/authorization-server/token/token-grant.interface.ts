import type { FormParameters } from '../client-authentication/form-parameters';
import type { ClientRecord } from '../../storage/client-store.interface';
import type { TokenResponse } from './token-response.interface';

/** One `grant_type` of the token endpoint. */
export interface TokenGrant {
  /** The `grant_type` value it answers, also the value a client registers in `grant_types`. */
  readonly grantType: string;
  /**
   * Exchanges the grant for tokens. The client is already authenticated and allowed this
   * grant type.
   *
   * @throws OAuthError
   */
  exchange(client: ClientRecord, params: FormParameters): Promise<TokenResponse>;
}
