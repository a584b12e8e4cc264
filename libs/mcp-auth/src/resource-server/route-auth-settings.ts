import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import {
  MCP_RESOURCE_METADATA,
  PUBLIC_ROUTE_METADATA,
  REQUIRED_SCOPES_METADATA,
  REQUIRED_TOOL_SCOPES_METADATA,
  REQUIRES_USER_METADATA,
} from './resource-server.constants';
import type { NormalizedToolScopes } from './decorators/required-tool-scopes.decorator';
import { ToolScopeRequirements } from './tool-scopes';

type RouteHandler = ReturnType<ExecutionContext['getHandler']>;
type RouteClass = ReturnType<ExecutionContext['getClass']>;

/**
 * What a route's decorators (`@Public`, `@RequiredScopes`, `@RequiredToolScopes`,
 * `@McpResource`) say.
 */
export interface RouteAuthSettings {
  readonly isPublic: boolean;
  /** `@RequiresUser()`: machine tokens are refused. */
  readonly requiresUser: boolean;
  /** Class scopes first, then the method's: the order the challenge lists them in. */
  readonly requiredScopes: readonly string[];
  readonly namedResource: string | undefined;
  /** `@RequiredToolScopes()` of class and method; `undefined` when neither declares any. */
  readonly toolScopes: ToolScopeRequirements | undefined;
}

/** Reads each route's settings once: decorator metadata does not change after bootstrap. */
export class RouteAuthSettingsReader {
  /** Class → handler → settings. */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAuthSettings>>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): RouteAuthSettings {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.routes.get(controller);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.routes.set(controller, byHandler);
    }
    let settings = byHandler.get(handler);
    if (!settings) {
      settings = this.read(controller, handler);
      byHandler.set(handler, settings);
    }
    return settings;
  }

  private read(controller: RouteClass, handler: RouteHandler): RouteAuthSettings {
    const targets = [handler, controller];
    const requiredScopes = Object.freeze([
      ...new Set(
        this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES_METADATA, [controller, handler]),
      ),
    ]);
    return {
      isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE_METADATA, targets) === true,
      requiresUser:
        this.reflector.getAllAndOverride<boolean>(REQUIRES_USER_METADATA, targets) === true,
      requiredScopes,
      toolScopes: ToolScopeRequirements.of(requiredScopes, [
        this.reflector.get<NormalizedToolScopes | undefined>(
          REQUIRED_TOOL_SCOPES_METADATA,
          controller,
        ),
        this.reflector.get<NormalizedToolScopes | undefined>(
          REQUIRED_TOOL_SCOPES_METADATA,
          handler,
        ),
      ]),
      namedResource: this.reflector.getAllAndOverride<string | undefined>(
        MCP_RESOURCE_METADATA,
        targets,
      ),
    };
  }
}
