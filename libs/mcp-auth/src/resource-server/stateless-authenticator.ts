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
 * Its framework adapter is Passport's own protocol without the session helpers: the strategy
 * is copied per request and given `success`, `fail`, `error`, `pass` and `redirect`, and the
 * outcome goes to the callback, as `passport.authenticate(name, options, callback)` does. What it leaves out is the Connect adapter's first step, which puts
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
  authenticator.framework({
    initialize: () => () => undefined,
    authenticate:
      (_passport, _name, _options, callback?: PassportOutcome) =>
      (request: unknown, _response: unknown, next: (error?: unknown) => void) =>
        attempt(strategy, request, _options as object | undefined, callback, next),
  });
  authenticator.use(name, strategy);
  return authenticator;
}

function attempt(
  strategy: Strategy,
  request: unknown,
  options: object | undefined,
  callback: PassportOutcome | undefined,
  next: (error?: unknown) => void,
): void {
  const done: PassportOutcome = callback ?? ((error) => next(error));
  const copy = Object.create(strategy) as StrategyAttempt;
  copy.success = (user, info) => done(null, user, info);
  copy.fail = (challenge, status) =>
    typeof challenge === 'number'
      ? done(null, false, undefined, challenge)
      : done(null, false, challenge, status);
  copy.error = (error) => done(error);
  copy.pass = () => next();
  copy.redirect = () => done(new Error('A bearer strategy does not redirect'));
  (copy.authenticate as (this: Strategy, request: unknown, options?: object) => void).call(
    copy,
    request,
    options,
  );
}
