import passport, { type Strategy } from 'passport';

/** What a strategy reports through Passport: `(error, user, info, status)`. */
export type PassportOutcome = (
  error: unknown,
  user?: unknown,
  info?: unknown,
  status?: number,
) => void;

/** The part of Passport's `Authenticator` the guard calls. */
export interface StatelessAuthenticator {
  authenticate(
    name: string,
    options: object,
    callback: PassportOutcome,
  ): (request: unknown, response: unknown, next: (error?: unknown) => void) => void;
}

/** A strategy as Passport runs it: a per-request copy given Passport's five actions. */
interface StrategyAttempt extends Strategy {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
  pass(): void;
  redirect(url: string, status?: number): void;
}

/**
 * A Passport `Authenticator` that runs one strategy for stateless bearer authentication.
 *
 * Its framework adapter is Passport's own protocol without the session helpers: each request
 * runs an object inheriting from the strategy, with `success`, `fail`, `error`, `pass` and
 * `redirect`, and the outcome goes to the callback, as `passport.authenticate(name, options,
 * callback)` does. What it leaves out is the Connect adapter's first step, which puts
 * `login`, `logIn`, `logout`, `logOut`, `isAuthenticated`, `isUnauthenticated` and
 * `_sessionManager` on every request: seven new properties on an Express 5 request cost about
 * 18 µs of CPU per request (measured: bench/README.md), a tenth of a trivial route, for
 * session helpers a bearer guard never uses.
 *
 * The strategy stays registered on the global Passport instance as well, under the same name,
 * so a host composes it with its own (`AuthGuard(['mcp-bearer', 'jwt'])`).
 */
export function statelessAuthenticator(name: string, strategy: Strategy): StatelessAuthenticator {
  const authenticator = new passport.Passport();
  const attempts = attemptPrototype(strategy);
  authenticator.framework({
    initialize: () => () => undefined,
    authenticate:
      (_passport, _name, options, callback?: PassportOutcome) =>
      (request: unknown, _response: unknown, next: (error?: unknown) => void) =>
        attempt(attempts, request, options as object | undefined, callback, next),
  });
  authenticator.use(name, strategy);
  return authenticator;
}

const OUTCOME = Symbol('outcome');
const NEXT = Symbol('next');

/** One request's run of the strategy: where its five actions report. */
interface Attempt extends StrategyAttempt {
  [OUTCOME]: PassportOutcome;
  [NEXT]: (error?: unknown) => void;
}

/**
 * What every request's copy of the strategy inherits: the strategy itself, and Passport's five
 * actions reporting to that request's callback. Defined once, so a request allocates one
 * object with two fields rather than a copy with five closures.
 */
function attemptPrototype(strategy: Strategy): Attempt {
  const prototype = Object.create(strategy) as Attempt;
  prototype.success = function (this: Attempt, user, info) {
    this[OUTCOME](null, user, info);
  };
  prototype.fail = function (this: Attempt, challenge, status) {
    if (typeof challenge === 'number') this[OUTCOME](null, false, undefined, challenge);
    else this[OUTCOME](null, false, challenge, status);
  };
  prototype.error = function (this: Attempt, error) {
    this[OUTCOME](error);
  };
  prototype.pass = function (this: Attempt) {
    this[NEXT]();
  };
  prototype.redirect = function (this: Attempt) {
    this[OUTCOME](new Error('A bearer strategy does not redirect'));
  };
  return prototype;
}

function attempt(
  prototype: Attempt,
  request: unknown,
  options: object | undefined,
  callback: PassportOutcome | undefined,
  next: (error?: unknown) => void,
): void {
  const run = Object.create(prototype) as Attempt;
  run[OUTCOME] = callback ?? ((error) => next(error));
  run[NEXT] = next;
  (run.authenticate as (this: Strategy, request: unknown, options?: object) => void).call(
    run,
    request,
    options,
  );
}
