import { AuthorizationCodeEntity } from './authorization-code.entity';
import { AuthorizationRequestEntity } from './authorization-request.entity';
import { ClientEntity } from './client.entity';
import { ConsentEntity } from './consent.entity';
import { FederationStateEntity } from './federation-state.entity';
import { GrantEntity } from './grant.entity';
import { RateLimitCounterEntity } from './rate-limit-counter.entity';
import { RefreshTokenEntity } from './refresh-token.entity';
import { RevokedAccessTokenEntity } from './revoked-access-token.entity';
import { SigningKeyEntity } from './signing-key.entity';
import { UpstreamTokenEntity } from './upstream-token.entity';
import { UsedJtiEntity } from './used-jti.entity';

export {
  AuthorizationCodeEntity,
  AuthorizationRequestEntity,
  ClientEntity,
  ConsentEntity,
  FederationStateEntity,
  GrantEntity,
  RateLimitCounterEntity,
  RefreshTokenEntity,
  RevokedAccessTokenEntity,
  SigningKeyEntity,
  UpstreamTokenEntity,
  UsedJtiEntity,
};

/** Every entity of the module: add these to the host DataSource (or use autoLoadEntities). */
export const MCP_AUTH_ENTITIES: readonly (new () => object)[] = [
  ClientEntity,
  AuthorizationRequestEntity,
  AuthorizationCodeEntity,
  GrantEntity,
  RefreshTokenEntity,
  RevokedAccessTokenEntity,
  SigningKeyEntity,
  ConsentEntity,
  RateLimitCounterEntity,
  FederationStateEntity,
  UpstreamTokenEntity,
  UsedJtiEntity,
];
