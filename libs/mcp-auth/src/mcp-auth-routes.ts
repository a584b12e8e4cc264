import { Controller, type Provider, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { McpAuthThrottlerGuard, RateLimited } from './abuse/mcp-auth-throttler.guard';
import type { RateLimitedEndpoint } from './abuse/rate-limit-options.interface';
import { AuthorizeController } from './authorization-server/authorization/authorize.controller';
import { InteractionController } from './authorization-server/authorization/interaction.controller';
import { PageExceptionFilter } from './authorization-server/authorization/page-exception.filter';
import { IntrospectionController } from './authorization-server/introspection/introspection.controller';
import { AuthorizationServerMetadataController } from './authorization-server/metadata/authorization-server-metadata.controller';
import { JwksController } from './authorization-server/metadata/jwks.controller';
import { ClientRegistrationController } from './authorization-server/registration/client-registration.controller';
import { RevocationController } from './authorization-server/revocation/revocation.controller';
import { TokenController } from './authorization-server/token/token.controller';
import { instanceController } from './http/instance-controller';
import { hideFromOpenApi, type OpenApiOperations, showInOpenApi } from './http/openapi';
import {
  AUTHORIZATION_SERVER_METADATA_OPERATIONS,
  CLIENT_REGISTRATION_OPERATIONS,
  INTROSPECTION_OPERATIONS,
  JWKS_OPERATIONS,
  REVOCATION_OPERATIONS,
  TOKEN_OPERATIONS,
} from './http/openapi-operations';
import {
  AUTHORIZE_OPERATIONS,
  FEDERATION_OPERATIONS,
  INTERACTION_OPERATIONS,
} from './http/openapi-page-operations';
import { FederationController } from './federation/federation.controller';
import { McpAuthConfig } from './mcp-auth.config';
import { OAuthExceptionFilter } from './http/oauth-exception.filter';
import { Public } from './resource-server/decorators/public.decorator';

/** Where a controller's routes hang: under the route prefix, or at the origin root. */
export type RouteBase = 'prefixed' | 'root';

export interface InstanceController {
  controller: Type<unknown>;
  base: RouteBase;
}

/** A controller of the module and how its routes are mounted, answered and limited. */
export interface ModuleController extends InstanceController {
  /** How errors are answered: RFC 6749 JSON, or an HTML page (a browser is on it). */
  errors?: 'json' | 'page';
  /** The rate-limit budget its requests count against, whatever the spelling of the path. */
  rateLimit?: RateLimitedEndpoint;
}

/**
 * Gives one module instance its own controller classes. Every instance subclasses the shared
 * controllers, so two instances mount routes independently, and the route prefix (known only
 * once async options resolve) is written onto these subclasses before Nest registers routes.
 *
 * The module's filter and rate-limit guard are bound here, to these classes only: the host's
 * own routes, RPC handlers and filters never see them. `Public()` keeps the module's routes
 * reachable when a host installs `BearerGuard` as an application guard.
 */
export function instanceControllers(controllers: ModuleController[]): InstanceController[] {
  return controllers.map(({ controller, base, errors, rateLimit }) => {
    const subclass = instanceController(controller);
    Public()(subclass);
    // Out of the host's OpenAPI document unless `openApi.include` (see routeBindingProvider).
    hideFromOpenApi(subclass);
    if (errors)
      UseFilters(errors === 'json' ? OAuthExceptionFilter : PageExceptionFilter)(subclass);
    if (rateLimit) {
      RateLimited(rateLimit)(subclass);
      UseGuards(McpAuthThrottlerGuard)(subclass);
    }
    return { controller: subclass, base };
  });
}

/** Token of the provider that writes route metadata; resolved before routes are registered. */
export const MCP_AUTH_ROUTES = Symbol('McpAuth:Routes');

/**
 * Nest instantiates providers before `app.init()` registers routes, so a factory that has the
 * resolved options can still decide each controller's path (and host, for multi-issuer apps).
 */
export function routeBindingProvider(controllers: InstanceController[]): Provider {
  return {
    provide: MCP_AUTH_ROUTES,
    useFactory: (config: McpAuthConfig, application: ModulesContainer) => {
      claimRootRoutes(application, config);
      for (const { controller, base } of controllers) {
        // `@Controller()` again, on this instance's subclass only: the shared class keeps its own.
        Controller({
          path: base === 'prefixed' && config.routePrefix ? config.routePrefix : '/',
          host: config.host,
        })(controller);
      }
      if (config.openApi.include) showInOpenApiDocument(controllers, config);
      return controllers.map(({ controller }) => controller.name);
    },
    inject: [McpAuthConfig, ModulesContainer],
  };
}

/** How each controller of the module is described in the host's OpenAPI document. */
const OPENAPI_OPERATIONS = new Map<Type<unknown>, OpenApiOperations>([
  [AuthorizationServerMetadataController, AUTHORIZATION_SERVER_METADATA_OPERATIONS],
  [JwksController, JWKS_OPERATIONS],
  [ClientRegistrationController, CLIENT_REGISTRATION_OPERATIONS],
  [AuthorizeController, AUTHORIZE_OPERATIONS],
  [InteractionController, INTERACTION_OPERATIONS],
  [FederationController, FEDERATION_OPERATIONS],
  [TokenController, TOKEN_OPERATIONS],
  [RevocationController, REVOCATION_OPERATIONS],
  [IntrospectionController, INTROSPECTION_OPERATIONS],
]);

/**
 * `openApi.include`: lists this instance's controllers. The protected resource metadata is
 * the composed `McpResourceServerModule`'s, which receives the same `openApi` option.
 */
function showInOpenApiDocument(controllers: InstanceController[], config: McpAuthConfig): void {
  for (const { controller } of controllers) {
    const shared = Object.getPrototypeOf(controller) as Type<unknown>;
    showInOpenApi(controller, config.openApi, OPENAPI_OPERATIONS.get(shared) ?? {});
  }
}

/** Host (lower case, `*` for none) → issuer of the instances of each application. */
const rootRouteOwners = new WeakMap<ModulesContainer, Map<string, string>>();

/**
 * The metadata and JWKS documents sit at the origin root whatever the route prefix, so two
 * instances in one application serve the same paths. Without distinct `host` bindings the first
 * registered silently answers for both (a client of the second would get the first's issuer and
 * keys), so refuse to boot instead. Keyed by the application's module container: separate
 * applications in one process never see each other.
 */
function claimRootRoutes(application: ModulesContainer, config: McpAuthConfig): void {
  let owners = rootRouteOwners.get(application);
  if (!owners) rootRouteOwners.set(application, (owners = new Map<string, string>()));
  const host = config.host?.toLowerCase() ?? '*';
  for (const [otherHost, otherIssuer] of owners) {
    if (host === '*' || otherHost === '*' || host === otherHost) {
      throw new Error(
        `McpAuthModule instances for ${otherIssuer} and ${config.issuer} would both answer ` +
          `/.well-known/oauth-authorization-server and /.well-known/jwks.json` +
          (host === otherHost && host !== '*' ? ` on host "${host}"` : '') +
          `: give each instance its own \`host\` option (its issuer's host name).`,
      );
    }
  }
  owners.set(host, config.issuer);
}
