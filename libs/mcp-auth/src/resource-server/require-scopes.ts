import { BearerChallengeException } from './bearer-challenge.exception';
import { getRequestAuthContext, type RequestAuthContext } from './request-auth-context';

function authenticatedContext(request: object, caller: string): RequestAuthContext {
  const context = getRequestAuthContext(request);
  if (!context?.token) {
    throw new Error(`${caller}() needs a request that passed BearerGuard`);
  }
  return context;
}

function asList(scopes: string | readonly string[]): readonly string[] {
  return typeof scopes === 'string' ? [scopes] : scopes;
}

/**
 * Whether the request's token covers these scopes (and the route's), scope hierarchy included.
 * @publicApi
 */
export function hasScopes(request: object, scopes: string | readonly string[]): boolean {
  const context = authenticatedContext(request, 'hasScopes');
  return context.scopeHierarchy.satisfies(context.token?.scopes ?? [], [
    ...context.requiredScopes,
    ...asList(scopes),
  ]);
}

/**
 * Whether the request's token may call this MCP tool: the route's scopes plus the tool's under
 * `@RequiredToolScopes()` (the route's alone for a tool not listed there), scope hierarchy
 * included. For a host that chooses to register, and so list, only the tools a token may call.
 *
 * @example
 * if (hasToolScopes(req, 'delete-file')) server.registerTool('delete-file', …);
 * @publicApi
 */
export function hasToolScopes(request: object, tool: string): boolean {
  const context = authenticatedContext(request, 'hasToolScopes');
  return context.scopeHierarchy.satisfies(
    context.token?.scopes ?? [],
    context.toolScopes?.forTool(tool) ?? context.requiredScopes,
  );
}

/**
 * Per-operation check inside a Nest handler, before the MCP transport runs: throws the same 403
 * `insufficient_scope` challenge as `@RequiredScopes()` (RS-9), naming every scope the
 * operation needs (the route's plus these), with its `WWW-Authenticate` header already set.
 * Not inside an MCP tool callback: the SDK turns whatever a tool throws into a 200 result with
 * `isError`, never a challenge; declare per-tool scopes with `@RequiredToolScopes()` instead.
 *
 * @example
 * if (!tenantAllows(request)) requireScopes(request, 'tenant:admin');
 * @publicApi
 */
export function requireScopes(
  request: object,
  scopes: string | readonly string[],
  description?: string,
): void {
  const context = authenticatedContext(request, 'requireScopes');
  const extra = asList(scopes);
  // Nothing beyond the route's own scopes, which BearerGuard has already checked.
  if (extra.length === 0) return;
  const needed = [...new Set([...context.requiredScopes, ...extra])];
  if (context.scopeHierarchy.satisfies(context.token?.scopes ?? [], needed)) return;
  const challenge = BearerChallengeException.insufficientScope(
    { resource: context.resource, requiredScopes: needed },
    description,
  );
  // No exception filter copies the challenge's headers: they go on the response now.
  challenge.applyTo(context.response);
  throw challenge;
}
