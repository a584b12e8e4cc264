import type { DynamicModule, Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { McpAuthConfig } from './mcp-auth.config';
import { MCP_AUTH_DATA_SOURCE, MCP_AUTH_SCHEMA_READY } from './mcp-auth.constants';
import { MCP_AUTH_MODULE_OPTIONS } from './mcp-auth.module-definition';
import type { McpAuthModuleOptions } from './mcp-auth-options.interface';
import { AccessTokenVerifier } from './resource-server/access-token-verifier.interface';
import { McpResourceServerModule } from './resource-server/mcp-resource-server.module';
import { DEFAULT_CLOCK_TOLERANCE } from './resource-server/resource-server.constants';
import type { ResourceServerModuleOptions } from './resource-server/resource-server-options.interface';
import { PostgresRevocationListener } from './resource-server/revocation/postgres-revocation-listener';
import { RevocationList } from './resource-server/revocation/revocation-list';
import { LocalIssuerTokenVerifier } from './resource-server/verifiers/local-issuer-token.verifier';
import { GrantStore } from './storage/grant-store.interface';
import { AccessTokenValidator } from './tokens/access-token.validator';
import { McpAuthTelemetry } from './telemetry/mcp-auth-telemetry';

/** Extra seconds an entry stays on the deny-list, for clock differences with the database. */
const REVOCATION_RETENTION_MARGIN = 60;

/**
 * What `McpAuthModule.forRoot()` tells its resource server: our issuer is the one
 * authorization server, our resources are the protected ones, and tokens are checked by the
 * local verifier (a `custom` verifier, supplied by the authorization server's module).
 */
export function resourceServerOptions(
  config: McpAuthConfig,
  options: McpAuthModuleOptions,
): ResourceServerModuleOptions {
  const { scopeHierarchy, clockTolerance, strategyName } = options.resourceServer ?? {};
  return {
    resources: config.resources.map(({ uri, scopes, name }) => ({ uri, scopes, name })),
    authorizationServers: [config.issuer],
    host: config.host,
    scopeHierarchy,
    clockTolerance,
    strategyName,
    openApi: config.openApi,
    telemetry: options.telemetry,
    verifier: { type: 'custom' },
  };
}

/**
 * `McpResourceServerModule` in front of the authorization server of `core`: it imports `core`
 * (the same module instance the facade imports) for the configuration and the local verifier.
 */
export function composedResourceServer(core: DynamicModule): DynamicModule {
  return McpResourceServerModule.forRootAsync({
    imports: [core],
    inject: [McpAuthConfig, MCP_AUTH_MODULE_OPTIONS],
    useFactory: resourceServerOptions,
    extraProviders: [{ provide: AccessTokenVerifier, useExisting: LocalIssuerTokenVerifier }],
  });
}

/**
 * Verification of our own tokens without a database round trip: signature and claims in
 * memory, plus the revocation deny-list fed by the grant store (LISTEN/NOTIFY and a poll).
 */
export const localVerificationProviders: Provider[] = [
  {
    provide: RevocationList,
    // Reads the grant tables at start: waits for the schema (migrationsRun).
    useFactory: async (
      grants: GrantStore,
      dataSource: DataSource,
      config: McpAuthConfig,
      options: McpAuthModuleOptions,
      telemetry: McpAuthTelemetry,
      _schemaReady: true,
    ) => {
      const settings = options.resourceServer ?? {};
      const list = new RevocationList(
        grants,
        {
          issuer: config.issuer,
          retention:
            config.accessTokenTtl +
            (settings.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE) +
            REVOCATION_RETENTION_MARGIN,
          pollInterval: settings.revocationPollInterval ?? 1,
          onArrival: (lag) => telemetry.denyListArrival(lag),
        },
        new PostgresRevocationListener(dataSource),
      );
      await list.start();
      telemetry.observeDenyList(list);
      return list;
    },
    inject: [
      GrantStore,
      MCP_AUTH_DATA_SOURCE,
      McpAuthConfig,
      MCP_AUTH_MODULE_OPTIONS,
      McpAuthTelemetry,
      MCP_AUTH_SCHEMA_READY,
    ],
  },
  {
    provide: LocalIssuerTokenVerifier,
    useFactory: (jwt: AccessTokenValidator, revocations: RevocationList) =>
      new LocalIssuerTokenVerifier(jwt, revocations),
    inject: [AccessTokenValidator, RevocationList],
  },
];
