import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  type ClientMetadataDocumentOptions,
  createPostgresDataSource,
  EmbeddedDatabaseLockedError,
  type EnterpriseAuthorizationOptions,
  MCP_AUTH_MIGRATIONS,
  McpAuthModule,
  type McpAuthModuleOptions,
  ResourceOwnerAuthenticator,
  type StaticClientOptions,
} from '@app/mcp-auth';
import type { AppConfig } from './config/app-config';
import { APP_CONFIG, SERVICE_NAME } from './config/app-config.constants';
import { federationOptions } from './federation/upstream-providers';
import { HealthController } from './health/health.controller';
import { McpController } from './mcp/mcp.controller';
import { DemoAuthenticator } from './users/demo-authenticator';
import { LandingController } from './web/landing.controller';

/** The sample application, built from a configuration checked before Nest starts. */
@Module({})
export class AppModule {
  /**
   * @param authOverrides module options laid over the sample's own (the benchmark turns the
   *   per-address rate limits off: its load comes from one address by design)
   */
  static forRoot(
    config: AppConfig,
    authOverrides: Partial<McpAuthModuleOptions> = {},
  ): DynamicModule {
    const configProvider = { provide: APP_CONFIG, useValue: config };
    return {
      module: AppModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            type: 'postgres' as const,
            autoLoadEntities: true,
            migrations: [...MCP_AUTH_MIGRATIONS],
            // Fail fast: an orchestrator restarts us; a long retry loop only hides the outage.
            retryAttempts: 2,
            retryDelay: 1000,
            // Another process has the embedded database open: retrying cannot help.
            toRetry: (error: unknown) => !(error instanceof EmbeddedDatabaseLockedError),
          }),
          // Real Postgres when DATABASE_URL is set, otherwise the embedded database on disk.
          dataSourceFactory: async (options) =>
            createPostgresDataSource(
              { url: config.databaseUrl, embeddedDataDir: config.embeddedDataDir },
              options as Parameters<typeof createPostgresDataSource>[1],
            ),
        }),
        McpAuthModule.forRootAsync({
          useFactory: () => ({
            issuer: config.issuerUrl,
            resources: [
              {
                path: '/mcp',
                scopes: ['mcp:tools', 'mcp:admin'],
                defaultScopes: ['mcp:tools'],
                name: SERVICE_NAME,
              },
            ],
            scopes: {
              'mcp:tools': 'Use the sample tools (who am I, the time, echo)',
              'mcp:admin': 'Use administrative tools (server statistics)',
              offline_access: 'Stay connected without signing in again',
            },
            clients: config.staticClients as StaticClientOptions[],
            // Signing keys are stored encrypted when set (required in production by the config).
            tokens: { keyEncryptionSecret: config.keyEncryptionSecret },
            interaction: { type: 'built-in', serviceName: SERVICE_NAME },
            // RFC 7591 registration stays for clients older than 2025-11-25; newer ones use
            // Client ID Metadata Documents, which MCP 2026-07-28 makes the only dynamic route.
            registration: { enabled: config.dynamicRegistration },
            clientMetadataDocuments: metadataDocumentOptions(config),
            // UPSTREAM_OIDC_* and GITHUB_*: sign-in at an identity provider, beside the
            // password; the upstream tokens are kept, sealed, for tools such as upstream_profile.
            federation: federationOptions(config, (message) =>
              new Logger('SampleMcpServer').warn(message),
            ),
            // MCP_AUTH_TRUSTED_IDPS: clients redeem ID-JAGs of these identity providers.
            enterprise: enterpriseOptions(config),
            migrationsRun: true,
            ...authOverrides,
          }),
          extraProviders: [
            configProvider,
            { provide: ResourceOwnerAuthenticator, useClass: DemoAuthenticator },
          ],
        }),
        TerminusModule,
      ],
      controllers: [HealthController, McpController, LandingController],
      providers: [configProvider],
      exports: [configProvider],
    };
  }
}

/** AS-11 options from the configuration; the loopback allowance is announced as a warning. */
function metadataDocumentOptions(config: AppConfig): ClientMetadataDocumentOptions {
  if (config.cimdAllowLoopbackHosts.length > 0) {
    new Logger('SampleMcpServer').warn(
      `MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS is set (${config.cimdAllowLoopbackHosts.join(', ')}): client metadata documents may be fetched from this machine. Development only.`,
    );
  }
  return {
    allowLoopbackHosts: config.cimdAllowLoopbackHosts,
    ...(config.cimdCaFile ? { ca: readFileSync(config.cimdCaFile, 'utf8') } : {}),
  };
}

/**
 * Enterprise-managed authorization from `MCP_AUTH_TRUSTED_IDPS`, or undefined (the grant off).
 * A user of a provider is `<issuer>|<sub>` here: `iss` and `sub` together are unique, and the
 * subject never collides with the demo user's (`demo|...`) or a federated one (`oidc|...`).
 */
function enterpriseOptions(config: AppConfig): EnterpriseAuthorizationOptions | undefined {
  if (config.trustedIdentityProviders.length === 0) return undefined;
  return {
    trustedIdentityProviders: config.trustedIdentityProviders.map(({ issuer, jwksUri }) => ({
      issuer,
      ...(jwksUri !== undefined ? { jwksUri } : {}),
    })),
    identity: ({ issuer, subject }) => ({ action: 'accept', subject: `${issuer}|${subject}` }),
  };
}
