import type { HttpResponse } from '../http/http-exchange';
import type { VerifiedAccessToken } from './access-token-verifier.interface';
import type { ChallengeScope } from './bearer-challenge.exception';
import type { ScopeHierarchy } from './scope-hierarchy';
import type { ToolScopeRequirements } from './tool-scopes';

/**
 * What `BearerGuard` decided about one request's route (its resource and scopes) and, once
 * Passport succeeded, its token: for the strategy, `@AccessToken()` and `requireScopes()`.
 */
export interface RequestAuthContext extends ChallengeScope {
  readonly scopeHierarchy: ScopeHierarchy;
  /** The route's `@RequiredToolScopes()`, if any. */
  readonly toolScopes: ToolScopeRequirements | undefined;
  /** `@RequiresUser()` on the route. */
  readonly requiresUser: boolean;
  /** Where a handler's own challenge (`requireScopes`) writes its headers, on either adapter. */
  readonly response: HttpResponse;
  token?: VerifiedAccessToken;
}

// A property under a symbol only this module holds: nothing the host's code or a client can
// set or spoof by name. Not a WeakMap keyed by the request: an entry per request is an
// ephemeron the garbage collector must trace, which cost 30 µs of CPU per MCP call
// (bench/README.md), where a property on the request costs next to nothing.
const CONTEXT = Symbol('mcp-auth.request-auth-context');

interface WithAuthContext {
  [CONTEXT]?: RequestAuthContext;
}

export function setRequestAuthContext(request: object, context: RequestAuthContext): void {
  (request as WithAuthContext)[CONTEXT] = context;
}

export function getRequestAuthContext(request: object): RequestAuthContext | undefined {
  return (request as WithAuthContext)[CONTEXT];
}
