/**
 * Any reason an access token is refused (RS-1: answered with 401 `invalid_token`).
 * `reason` is safe to log or put in an `error_description`: it never contains the token.
 */
export class InvalidAccessTokenError extends Error {
  constructor(readonly reason: string) {
    super(`Invalid access token: ${reason}`);
    this.name = 'InvalidAccessTokenError';
  }
}
