import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { McpAuthAudit } from './audit/audit.service';
import { MCP_AUTH_DATA_SOURCE, MCP_AUTH_SCHEMA_READY } from './mcp-auth.constants';
import { McpAuthConfig } from './mcp-auth.config';
import { MCP_AUTH_MODULE_OPTIONS } from './mcp-auth.module-definition';
import type { McpAuthModuleOptions } from './mcp-auth-options.interface';
import { AuthorizationCodeStore } from './storage/authorization-code-store.interface';
import { AuthorizationRequestStore } from './storage/authorization-request-store.interface';
import { ClientStore } from './storage/client-store.interface';
import { ConsentStore } from './storage/consent-store.interface';
import { FederationStateStore } from './storage/federation-state-store.interface';
import { UpstreamTokenStore } from './storage/upstream-token-store.interface';
import { UsedJtiStore } from './storage/used-jti-store.interface';
import { GrantStore } from './storage/grant-store.interface';
import { SigningKeyStore } from './storage/signing-key-store.interface';
import {
  TypeOrmAuthorizationCodeStore,
  TypeOrmAuthorizationRequestStore,
  TypeOrmClientStore,
  TypeOrmConsentStore,
  TypeOrmFederationStateStore,
  TypeOrmGrantStore,
  TypeOrmSigningKeyStore,
  TypeOrmUpstreamTokenStore,
  TypeOrmUsedJtiStore,
} from './storage/typeorm/stores';
import { AccessTokenIssuer } from './tokens/access-token.issuer';
import { AccessTokenValidator } from './tokens/access-token.validator';
import type { SigningKeyChange } from './tokens/signing-key.config';
import { SigningKeyService } from './tokens/signing-key.service';
import { McpAuthTelemetry } from './telemetry/mcp-auth-telemetry';
import { resolveTelemetryOptions } from './telemetry/telemetry-options';

export const configProvider: Provider = {
  provide: McpAuthConfig,
  useFactory: (options: McpAuthModuleOptions) => new McpAuthConfig(options),
  inject: [MCP_AUTH_MODULE_OPTIONS],
};

/** The host's DataSource (by name), re-provided under a module-local token. */
export function dataSourceProvider(dataSourceName: string | undefined): Provider {
  return {
    provide: MCP_AUTH_DATA_SOURCE,
    useExisting: getDataSourceToken(dataSourceName),
  };
}

type StoreClass = new (
  dataSource: DataSource,
  issuer: string,
  options: McpAuthConfig['storage'],
) => unknown;

const DEFAULT_STORES: [symbol, StoreClass][] = [
  [ClientStore, TypeOrmClientStore],
  [AuthorizationRequestStore, TypeOrmAuthorizationRequestStore],
  [AuthorizationCodeStore, TypeOrmAuthorizationCodeStore],
  [GrantStore, TypeOrmGrantStore],
  [SigningKeyStore, TypeOrmSigningKeyStore],
  [ConsentStore, TypeOrmConsentStore],
  [FederationStateStore, TypeOrmFederationStateStore],
  [UpstreamTokenStore, TypeOrmUpstreamTokenStore],
  [UsedJtiStore, TypeOrmUsedJtiStore],
];

/** This instance's metrics and spans (`telemetry` option), made once its options are known. */
export const telemetryProvider: Provider = {
  provide: McpAuthTelemetry,
  useFactory: (options: McpAuthModuleOptions) =>
    new McpAuthTelemetry(resolveTelemetryOptions(options.telemetry)),
  inject: [MCP_AUTH_MODULE_OPTIONS],
};

/**
 * Postgres stores scoped to this instance's issuer; `extraProviders` may replace any of them.
 * Each is wrapped here, in one place, for its spans (`mcp_auth.store.<Store>.<method>`).
 */
export const storeProviders: Provider[] = DEFAULT_STORES.map(([token, Store]) => ({
  provide: token,
  useFactory: (dataSource: DataSource, config: McpAuthConfig, telemetry: McpAuthTelemetry) =>
    telemetry.traceStore(
      storeName(token),
      new Store(dataSource, config.issuer, config.storage) as object,
    ),
  inject: [MCP_AUTH_DATA_SOURCE, McpAuthConfig, McpAuthTelemetry],
}));

/** `GrantStore` of `Symbol('McpAuth:GrantStore')`. */
function storeName(token: symbol): string {
  return (token.description ?? 'Store').replace(/^McpAuth:/, '');
}

export const tokenProviders: Provider[] = [
  {
    provide: SigningKeyService,
    // Waits for the schema: with `migrationsRun` the key table may not exist before.
    useFactory: async (
      store: SigningKeyStore,
      config: McpAuthConfig,
      audit: McpAuthAudit,
      _schemaReady: true,
    ) => {
      const keys = new SigningKeyService(store, {
        algorithm: config.algorithm,
        // A retired key keeps verifying for as long as a token it signed can live.
        verifyOverlap: config.accessTokenTtl + 60,
        encryptionSecret: config.keyEncryptionSecret,
        rotationInterval: config.keyRotationInterval,
        onKeyCreated: (change) => audit.emit(signingKeyEvent(change)),
      });
      await keys.init();
      return keys;
    },
    inject: [SigningKeyStore, McpAuthConfig, McpAuthAudit, MCP_AUTH_SCHEMA_READY],
  },
  {
    provide: AccessTokenIssuer,
    useFactory: (keys: SigningKeyService, config: McpAuthConfig) =>
      new AccessTokenIssuer(keys, { issuer: config.issuer, accessTokenTtl: config.accessTokenTtl }),
    inject: [SigningKeyService, McpAuthConfig],
  },
  {
    provide: AccessTokenValidator,
    useFactory: (keys: SigningKeyService, config: McpAuthConfig) =>
      new AccessTokenValidator(keys, {
        issuer: config.issuer,
        audiences: config.resources.map((resource) => resource.uri),
      }),
    inject: [SigningKeyService, McpAuthConfig],
  },
];

function signingKeyEvent({ kid, algorithm, trigger, retiredKids }: SigningKeyChange) {
  return trigger === 'initial'
    ? { type: 'signing_key.created' as const, kid, algorithm }
    : { type: 'signing_key.rotated' as const, kid, algorithm, retired_kids: retiredKids, trigger };
}
