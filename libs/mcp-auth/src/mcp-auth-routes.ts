import { Controller, type Provider, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { McpAuthThrottlerGuard, RateLimited } from './abuse/mcp-auth-throttler.guard';
import type { RateLimitedEndpoint } from './abuse/rate-limit-options.interface';
import { PageExceptionFilter } from './authorization-server/authorization/page-exception.filter';
import { instanceController } from './http/instance-controller';
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
      return controllers.map(({ controller }) => controller.name);
    },
    inject: [McpAuthConfig, ModulesContainer],
  };
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
