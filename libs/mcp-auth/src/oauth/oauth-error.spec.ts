import { OAuthError, defaultStatusFor, sanitizeErrorDescription } from './oauth-error';
import type { OAuthErrorCode } from './oauth-error';

describe('OAuthError', () => {
  it('is an Error carrying the code, description and status', () => {
    const error = new OAuthError('invalid_grant', 'The code has expired.');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error.name).toBe('OAuthError');
    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The code has expired.');
    expect(error.status).toBe(400);
    expect(error.message).toBe('invalid_grant: The code has expired.');
    expect(error.headers).toEqual({});
  });

  it.each<[OAuthErrorCode, number]>([
    ['invalid_request', 400],
    ['invalid_grant', 400],
    ['unauthorized_client', 400],
    ['unsupported_grant_type', 400],
    ['invalid_scope', 400],
    ['invalid_target', 400],
    ['access_denied', 400],
    ['unsupported_response_type', 400],
    ['invalid_client_metadata', 400],
    ['invalid_redirect_uri', 400],
    // AS-24: invalid_client is a 401.
    ['invalid_client', 401],
    ['server_error', 500],
    ['temporarily_unavailable', 503],
    // RS-8 / RFC 6750 §3.1
    ['invalid_token', 401],
    ['insufficient_scope', 403],
  ])('defaults %s to HTTP %d', (code, status) => {
    expect(defaultStatusFor(code)).toBe(status);
    expect(new OAuthError(code).status).toBe(status);
  });

  it('lets the thrower override the status and add headers', () => {
    const error = new OAuthError('invalid_request', 'x', {
      status: 405,
      headers: { Allow: 'POST' },
    });
    expect(error.status).toBe(405);
    expect(error.headers).toEqual({ Allow: 'POST' });
  });

  it('copies the headers so later changes to the input do not leak in', () => {
    const headers: Record<string, string> = { A: '1' };
    const error = new OAuthError('invalid_request', undefined, { headers });
    headers.B = '2';
    expect(error.headers).toEqual({ A: '1' });
  });

  it('keeps the cause', () => {
    const cause = new Error('db down');
    expect(OAuthError.serverError('x', { cause }).cause).toBe(cause);
  });

  describe('toJSON (RFC 6749 §5.2 body)', () => {
    it('has error and error_description only', () => {
      const error = OAuthError.invalidScope('unknown scope', { headers: { X: 'y' } });
      expect(error.toJSON()).toEqual({
        error: 'invalid_scope',
        error_description: 'unknown scope',
      });
      expect(JSON.parse(JSON.stringify(error))).toEqual({
        error: 'invalid_scope',
        error_description: 'unknown scope',
      });
    });

    it('omits error_description when there is none', () => {
      expect(new OAuthError('access_denied').toJSON()).toEqual({ error: 'access_denied' });
      expect(new OAuthError('access_denied', '').toJSON()).toEqual({ error: 'access_denied' });
      expect(Object.keys(new OAuthError('access_denied').toJSON())).toEqual(['error']);
    });
  });

  describe('description sanitizing (RFC 6749 §5.2 character set)', () => {
    it('replaces quotes, backslashes, control and non-ASCII characters', () => {
      const error = OAuthError.invalidRequest('bad "x"\\ \r\n\u0000é\u202e');
      expect(error.description).toBe("bad 'x'/ ?????");
      expect(error.description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/);
    });

    it('truncates very long descriptions', () => {
      const long = sanitizeErrorDescription('a'.repeat(10_000));
      expect(long.length).toBe(500);
      expect(long.endsWith('...')).toBe(true);
    });

    it('leaves a legal description untouched', () => {
      expect(sanitizeErrorDescription("redirect_uri isn't registered.")).toBe(
        "redirect_uri isn't registered.",
      );
    });
  });

  describe('static helpers', () => {
    it.each<[(d?: string) => OAuthError, OAuthErrorCode]>([
      [OAuthError.invalidRequest, 'invalid_request'],
      [OAuthError.invalidClient, 'invalid_client'],
      [OAuthError.invalidGrant, 'invalid_grant'],
      [OAuthError.unauthorizedClient, 'unauthorized_client'],
      [OAuthError.unsupportedGrantType, 'unsupported_grant_type'],
      [OAuthError.invalidScope, 'invalid_scope'],
      [OAuthError.invalidTarget, 'invalid_target'],
      [OAuthError.accessDenied, 'access_denied'],
      [OAuthError.unsupportedResponseType, 'unsupported_response_type'],
      [OAuthError.serverError, 'server_error'],
      [OAuthError.temporarilyUnavailable, 'temporarily_unavailable'],
      [OAuthError.invalidClientMetadata, 'invalid_client_metadata'],
      [OAuthError.invalidRedirectUri, 'invalid_redirect_uri'],
      [OAuthError.invalidToken, 'invalid_token'],
      [OAuthError.insufficientScope, 'insufficient_scope'],
    ])('%# builds the matching code', (factory, code) => {
      const error = factory('why');
      expect(error).toBeInstanceOf(OAuthError);
      expect(error.error).toBe(code);
      expect(error.description).toBe('why');
    });

    it('invalidClient adds a Basic challenge when the client used Basic (RFC 6749 §5.2)', () => {
      const error = OAuthError.invalidClient('Client authentication failed.', {
        basicRealm: 'mcp-auth',
      });
      expect(error.status).toBe(401);
      expect(error.headers['WWW-Authenticate']).toBe('Basic realm="mcp-auth", charset="UTF-8"');
    });

    it('invalidClient strips characters that would break the quoted realm', () => {
      const error = OAuthError.invalidClient(undefined, { basicRealm: 'a"b\\c\r\nd' });
      expect(error.headers['WWW-Authenticate']).toBe('Basic realm="abcd", charset="UTF-8"');
    });

    it('invalidClient without a realm sends no challenge', () => {
      expect(OAuthError.invalidClient('x').headers).toEqual({});
    });

    it('temporarilyUnavailable can set Retry-After', () => {
      const error = OAuthError.temporarilyUnavailable('busy', { retryAfterSeconds: 2.2 });
      expect(error.status).toBe(503);
      expect(error.headers['Retry-After']).toBe('3');
    });
  });
});
