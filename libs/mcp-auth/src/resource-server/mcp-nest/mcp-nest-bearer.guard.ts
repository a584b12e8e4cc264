import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { BearerGuard } from '../bearer.guard';
import type { McpPrincipal } from '../mcp-principal';
import { getRequestAuthContext } from '../request-auth-context';

/**
 * The request slot where `@rekog/mcp-nest` (2.x) looks for the protected resource metadata
 * URL when its Streamable HTTP transport answers a `@ToolScopes()` shortfall with a 403
 * step-up challenge (`stepUpAuthorization`). Its `MCP_RESOURCE_METADATA_URL`, restated here
 * (a global-registry symbol) so the library never loads `@rekog/mcp-nest`.
 * @publicApi
 */
export const MCP_NEST_RESOURCE_METADATA_URL: unique symbol = Symbol.for(
  '@rekog/mcp-nest:resource-metadata-url',
);

/**
 * Hands `@rekog/mcp-nest` what `BearerGuard` decided about a request, on the request it reads:
 * - the resource's protected resource metadata URL, for the `resource_metadata` of its 403
 *   step-up challenges (so it needs no URL configured by hand);
 * - as `req.user`, the principal with the scopes the token amounts to under
 *   `resourceServer.scopeHierarchy` (granted plus implied), because `@ToolScopes()` compares
 *   `req.user.scope` word by word. The granted scopes stay in `claims.scope` and `req.auth`.
 *
 * Does nothing on a request `BearerGuard` let through without a token (`@Public()`).
 * `McpNestBearerGuard` calls it; a host composing its own guard calls it after `BearerGuard`.
 * @publicApi
 */
export function exposeAuthToMcpNest(request: object): void {
  const auth = getRequestAuthContext(request);
  if (auth?.token === undefined) return;
  const slots = request as Record<PropertyKey, unknown>;
  slots[MCP_NEST_RESOURCE_METADATA_URL] = auth.resource.metadataUrl;
  const user = slots.user as McpPrincipal | undefined;
  if (user !== undefined) {
    const effective = [...auth.scopeHierarchy.expand(user.scopes)];
    if (effective.length !== user.scopes.length) {
      const principal: McpPrincipal = { ...user, scopes: effective, scope: effective.join(' ') };
      slots.user = Object.isFrozen(user) ? Object.freeze(principal) : principal;
    }
  }
  // Fastify: mcp-nest hands its transport the Node request (`raw`), and reads the user there.
  const raw = slots.raw as Record<PropertyKey, unknown> | undefined;
  if (raw !== undefined && typeof raw === 'object') {
    raw[MCP_NEST_RESOURCE_METADATA_URL] = slots[MCP_NEST_RESOURCE_METADATA_URL];
    raw.user = slots.user;
  }
}

/**
 * `BearerGuard` for a `@rekog/mcp-nest` Streamable HTTP controller: the same authentication,
 * scopes and challenges, then {@link exposeAuthToMcpNest}. Put it where `BearerGuard` would go,
 * on the controller that mounts the transport:
 *
 * @example
 * @Controller('mcp')
 * @UseGuards(McpNestBearerGuard)
 * @RequiredScopes('mcp:tools')
 * export class McpHttpController extends McpHttpControllerFor(transport) {}
 * @publicApi
 */
@Injectable()
export class McpNestBearerGuard implements CanActivate {
  constructor(private readonly bearer: BearerGuard) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = await this.bearer.canActivate(context);
    if (allowed && context.getType() === 'http') exposeAuthToMcpNest(context.getArgByIndex(0));
    return allowed;
  }
}
