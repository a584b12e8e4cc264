import { errors } from 'jose';
import { InvalidAccessTokenError } from './invalid-access-token.error';

/** Maps jose's errors to a reason that names the failed check and nothing from the token. */
export function toInvalidAccessTokenError(error: unknown): InvalidAccessTokenError {
  if (error instanceof InvalidAccessTokenError) return error;
  if (error instanceof errors.JWTExpired) return new InvalidAccessTokenError('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidAccessTokenError(`"${error.claim}" ${error.reason.replace(/_/g, ' ')}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new InvalidAccessTokenError('algorithm not allowed');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidAccessTokenError('signature verification failed');
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return new InvalidAccessTokenError('malformed token');
  }
  return new InvalidAccessTokenError('verification failed');
}
