import {
  Controller,
  type DynamicModule,
  Module,
  type Provider,
  type Type,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { instanceController } from '../http/instance-controller';
import { hideFromOpenApi } from '../http/openapi';
import { McpAuthConfig } from '../mcp-auth.config';
import { DEFAULT_ADMINISTRATION_PATH } from './administration-options';
import { McpResource } from '../resource-server/decorators/mcp-resource.decorator';
import { Public } from '../resource-server/decorators/public.decorator';
import { RequiredScopes } from '../resource-server/decorators/required-scopes.decorator';
import { AdministrationExceptionFilter } from './administration-exception.filter';
import { AdministrationController } from './administration.controller';
import { AdministrationGuard } from './administration.guard';
import { AdministrationService } from './administration.service';

/** Token of the provider that mounts this instance's administration controller. */
const ADMINISTRATION_ROUTES = Symbol('McpAuth:AdministrationRoutes');

/**
 * The administration API of one `McpAuthModule` instance. A module of its own beside the core
 * and the resource server because its guard is the resource server's `BearerGuard`, which the
 * core cannot see (the resource server imports the core, not the other way round). Imported
 * by the facade only when the API is on (`forRoot`) or said to be (`forRootAsync`'s static
 * `administration: true`); mounted but not configured, it answers 404.
 */
@Module({})
export class McpAuthAdministrationModule {
  static compose(core: DynamicModule, resourceServer: DynamicModule): DynamicModule {
    const controller = instanceController(AdministrationController);
    hideFromOpenApi(controller);
    UseFilters(AdministrationExceptionFilter)(controller);
    UseGuards(AdministrationGuard)(controller);
    return {
      module: McpAuthAdministrationModule,
      imports: [core, resourceServer],
      controllers: [controller],
      providers: [AdministrationService, AdministrationGuard, routeBinding(controller)],
    };
  }
}

/**
 * Writes the path (and host) once options resolve, and how the route is protected: our bearer
 * check names the API's resource and scope; while the API is not configured, or a host guard
 * protects it, the route is `@Public()` so an application-wide `BearerGuard` leaves it to our
 * guard.
 */
function routeBinding(controller: Type<unknown>): Provider {
  return {
    provide: ADMINISTRATION_ROUTES,
    useFactory: (config: McpAuthConfig) => {
      const admin = config.administration;
      Controller({
        path: admin?.path ?? `${config.routePrefix}${DEFAULT_ADMINISTRATION_PATH}`,
        host: config.host,
      })(controller);
      if (admin?.resourceUri && admin.scope) {
        McpResource(admin.resourceUri)(controller);
        RequiredScopes(admin.scope)(controller);
      } else {
        Public()(controller);
      }
      return controller.name;
    },
    inject: [McpAuthConfig],
  };
}
