import { Controller, type Provider, type Type } from '@nestjs/common';
import { McpAuthAudit } from '../audit/audit.service';
import { ResourceOwnerAuthenticator } from '../authorization-server/authorization/resource-owner-authenticator.interface';
import { McpAuthConfig } from '../mcp-auth.config';
import { MCP_AUTH_MODULE_OPTIONS } from '../mcp-auth.module-definition';
import type { McpAuthModuleOptions } from '../mcp-auth-options.interface';
import { ClientStore } from '../storage/client-store.interface';
import { GrantStore } from '../storage/grant-store.interface';
import { SigningKeyService } from '../tokens/signing-key.service';
import {
  resolveConnectedAppsOptions,
  type ResolvedConnectedAppsOptions,
} from './connected-apps-options';
import { ConnectedAppsRequests } from './connected-apps-requests';
import { ConnectedAppsSessions } from './connected-apps-session';
import { ConnectedAppsService } from './connected-apps.service';

/** Everything the page and the API of one module instance share, built once at boot. */
export class ConnectedAppsContext {
  constructor(
    readonly options: ResolvedConnectedAppsOptions,
    readonly sessions: ConnectedAppsSessions,
    readonly requests: ConnectedAppsRequests,
    readonly service: ConnectedAppsService,
    /** The page's password sign-in; undefined when the host resolves the user. */
    readonly authenticator: ResourceOwnerAuthenticator | undefined,
    /**
     * "Continue with <name>" on the page's sign-in: each posts to `action` (the federation
     * controller runs the round trip and starts the page's session). Empty with `resolveUser`.
     */
    readonly providers: readonly { name: string; action: string }[] = [],
  ) {}
}

/**
 * The context, and the controllers' paths: Nest instantiates providers before `app.init()`
 * registers routes, so the (possibly async) options still decide where the routes go. Turned
 * off, the controllers get no path at all (`[]`): nothing is registered, so a host route on the
 * same path is left alone.
 */
export function connectedAppsProvider(controllers: readonly Type<unknown>[]): Provider {
  return {
    provide: ConnectedAppsContext,
    useFactory: (
      raw: McpAuthModuleOptions,
      config: McpAuthConfig,
      grants: GrantStore,
      clients: ClientStore,
      keys: SigningKeyService,
      audit: McpAuthAudit,
      authenticator: ResourceOwnerAuthenticator | undefined,
    ) => {
      const options = resolveConnectedAppsOptions(raw.connectedApps, {
        routePrefix: config.routePrefix,
        passwordSignIn: authenticator !== undefined,
        federationSignIn: config.federation.providers.length > 0,
        external: config.interaction.type === 'external',
        resourcePaths: config.resources.map((resource) => resource.path),
      });
      for (const controller of controllers) {
        Controller({ path: options.enabled ? options.path : [], host: config.host })(controller);
      }
      const sessions = new ConnectedAppsSessions(keys, {
        issuer: config.issuer,
        path: options.path,
        ttl: options.sessionTtl,
        secure: config.secureCookies,
      });
      return new ConnectedAppsContext(
        options,
        sessions,
        new ConnectedAppsRequests(config.issuer, options, sessions, config.secureCookies),
        new ConnectedAppsService(config, grants, clients, audit),
        options.signIn === 'built-in' ? authenticator : undefined,
        options.signIn === 'built-in'
          ? config.federation.providers.map(({ id, name }) => ({
              name,
              action: `${new URL(config.endpoints.federation).pathname}/${id}/connected-apps`,
            }))
          : [],
      );
    },
    inject: [
      MCP_AUTH_MODULE_OPTIONS,
      McpAuthConfig,
      GrantStore,
      ClientStore,
      SigningKeyService,
      McpAuthAudit,
      { token: ResourceOwnerAuthenticator, optional: true },
    ],
  };
}
