import { Controller, type Provider, type Type } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { McpAuthConfig } from '../mcp-auth.config';
import { MCP_AUTH_DATA_SOURCE, MCP_AUTH_SCHEMA_READY } from '../mcp-auth.constants';
import { MCP_AUTH_MODULE_OPTIONS } from '../mcp-auth.module-definition';
import type { InstanceController, RouteBase } from '../mcp-auth-routes';
import { GrantStore } from '../storage/grant-store.interface';
import { AccessTokenValidator } from '../tokens/access-token.validator';
import { AccessTokenVerifier } from './access-token-verifier.interface';
import { BearerGuard } from './bearer.guard';
import { BearerStrategy } from './bearer.strategy';
import { ProtectedResourceMetadataController } from './metadata/protected-resource-metadata.controller';
import type { McpAuthResourceServerOptions } from './resource-server-options.interface';
import { ResourceServerConfig } from './resource-server.config';
import { PostgresRevocationListener } from './revocation/postgres-revocation-listener';
import { RevocationList } from './revocation/revocation-list';
import { LocalIssuerTokenVerifier } from './verifiers/local-issuer-token.verifier';

/** Extra seconds an entry stays on the deny-list, for clock differences with the database. */
const REVOCATION_RETENTION_MARGIN = 60;

/** `McpAuthModule.forRoot({ resourceServer })`, when the host passes it. */
function resourceServerSettings(options: unknown): McpAuthResourceServerOptions {
  const settings =
    typeof options === 'object' && options !== null
      ? (options as { resourceServer?: unknown }).resourceServer
      : undefined;
  return typeof settings === 'object' && settings !== null ? settings : {};
}

/** Guard, strategy and guard-facing services, the same in every mode. */
export const BEARER_PROVIDERS: Provider[] = [
  {
    provide: BearerStrategy,
    useFactory: (verifier: AccessTokenVerifier, config: ResourceServerConfig) =>
      new BearerStrategy(verifier, config),
    inject: [AccessTokenVerifier, ResourceServerConfig],
  },
  BearerGuard,
];

/**
 * Resource-server providers of `McpAuthModule.forRoot()`: tokens of our own issuer, verified
 * locally, with the revocation deny-list fed by the grant store.
 */
export const RESOURCE_SERVER_PROVIDERS: Provider[] = [
  {
    provide: ResourceServerConfig,
    useFactory: (config: McpAuthConfig, options: unknown) =>
      ResourceServerConfig.fromAuthorizationServer(config, resourceServerSettings(options)),
    inject: [McpAuthConfig, MCP_AUTH_MODULE_OPTIONS],
  },
  {
    provide: RevocationList,
    // Reads the grant tables at start: waits for the schema (migrationsRun).
    useFactory: async (
      grants: GrantStore,
      dataSource: DataSource,
      config: McpAuthConfig,
      resourceServer: ResourceServerConfig,
      options: unknown,
      _schemaReady: true,
    ) => {
      const list = new RevocationList(
        grants,
        {
          issuer: config.issuer,
          retention:
            config.accessTokenTtl + resourceServer.clockTolerance + REVOCATION_RETENTION_MARGIN,
          pollInterval: resourceServerSettings(options).revocationPollInterval ?? 1,
        },
        new PostgresRevocationListener(dataSource),
      );
      await list.start();
      return list;
    },
    inject: [
      GrantStore,
      MCP_AUTH_DATA_SOURCE,
      McpAuthConfig,
      ResourceServerConfig,
      MCP_AUTH_MODULE_OPTIONS,
      MCP_AUTH_SCHEMA_READY,
    ],
  },
  {
    provide: AccessTokenVerifier,
    useFactory: (jwt: AccessTokenValidator, revocations: RevocationList) =>
      new LocalIssuerTokenVerifier(jwt, revocations),
    inject: [AccessTokenValidator, RevocationList],
  },
  ...BEARER_PROVIDERS,
];

/** What `McpAuthModule.forRoot()` exports for hosts: enough to use `BearerGuard` anywhere. */
export const RESOURCE_SERVER_EXPORTS = [
  ResourceServerConfig,
  AccessTokenVerifier,
  BearerStrategy,
  BearerGuard,
  RevocationList,
];

/** Controllers of the resource server; the PRM lives at the origin root (base 'root'). */
export const RESOURCE_SERVER_CONTROLLERS: { controller: Type<unknown>; base: RouteBase }[] = [
  { controller: ProtectedResourceMetadataController, base: 'root' },
];

/** Token of the provider that mounts resource-server controllers in resource-server-only mode. */
export const RESOURCE_SERVER_ROUTES = Symbol('McpAuth:ResourceServerRoutes');

/**
 * Mounts per-instance controller subclasses at the origin root (and on `host`, if set) before
 * Nest registers routes, as `routeBindingProvider` does for `McpAuthModule.forRoot()`.
 */
export function resourceServerRouteBinding(controllers: InstanceController[]): Provider {
  return {
    provide: RESOURCE_SERVER_ROUTES,
    useFactory: (config: ResourceServerConfig) => {
      for (const { controller } of controllers) {
        Controller({ path: '/', host: config.host })(controller);
      }
      return controllers.map(({ controller }) => controller.name);
    },
    inject: [ResourceServerConfig],
  };
}
