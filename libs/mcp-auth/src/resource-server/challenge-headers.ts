import { nodeResponse, type HttpResponse } from '../http/http-exchange';
import { BearerChallengeException } from './bearer-challenge.exception';

/** A challenge carries its headers onto the response before it propagates. */
export function withChallengeHeaders(error: unknown, response: HttpResponse): unknown {
  if (error instanceof BearerChallengeException) error.applyTo(response);
  return error;
}

/** CORS: browsers hide `WWW-Authenticate` from scripts unless it is exposed. */
export function exposeWwwAuthenticate(reply: HttpResponse): void {
  const response = nodeResponse(reply);
  if (response.headersSent) return;
  const current = response.getHeader('Access-Control-Expose-Headers');
  // The usual case: nothing exposed yet, so no list to merge with.
  if (current === undefined) {
    response.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate');
    return;
  }
  const names = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.some((name) => name.toLowerCase() === 'www-authenticate')) return;
  response.setHeader('Access-Control-Expose-Headers', [...names, 'WWW-Authenticate'].join(', '));
}
