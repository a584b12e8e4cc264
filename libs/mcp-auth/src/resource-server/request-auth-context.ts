import type { InvalidAccessTokenError } from '../tokens/invalid-access-token.error';
import type { VerifiedAccessToken } from './access-token-verifier.interface';
import type { ChallengeScope } from './bearer-challenge.exception';
import type { ScopeHierarchy } from './scope-hierarchy';

/** What the guard learned about one request, for the strategy, decorators and helpers. */
export interface RequestAuthContext extends ChallengeScope {
  readonly scopeHierarchy: ScopeHierarchy;
  readonly clockTolerance: number;
  /** Why the token was refused, for the 401 description. */
  failure?: InvalidAccessTokenError;
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
