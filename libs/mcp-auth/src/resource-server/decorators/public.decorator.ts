import { SetMetadata } from '@nestjs/common';
import { PUBLIC_ROUTE_METADATA } from '../resource-server.constants';

/**
 * Opts a route or controller out of `BearerGuard`, e.g. when the guard is global
 * (`APP_GUARD`). The module's own metadata routes are public already.
 * @publicApi
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata(PUBLIC_ROUTE_METADATA, true);
