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

// Keyed by the request object: nothing the host or a client can set or spoof. (Also the cheap
// way: adding a property to an Express request costs about 2 µs, a WeakMap entry next to
// nothing; see bench/README.md.)
const contexts = new WeakMap<object, RequestAuthContext>();

export function setRequestAuthContext(request: object, context: RequestAuthContext): void {
  contexts.set(request, context);
}

export function getRequestAuthContext(request: object): RequestAuthContext | undefined {
  return contexts.get(request);
}
