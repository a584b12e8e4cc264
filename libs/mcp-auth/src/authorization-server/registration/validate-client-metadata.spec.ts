import { OAuthError } from '../../oauth/oauth-error';
import { isSafeText, isWebUri } from './client-metadata.constraints';
import { validateClientMetadata } from './validate-client-metadata';

const rules = { scopesSupported: ['mcp:tools', 'offline_access'] };
const base = { redirect_uris: ['https://app.example.com/cb'] };

function errorOf(input: unknown): { error: string; description: string | undefined } {
  try {
    validateClientMetadata(input, rules);
  } catch (error) {
    if (error instanceof OAuthError) return { error: error.error, description: error.description };
    throw error;
  }
  throw new Error('expected an OAuthError');
}

describe('validateClientMetadata', () => {
  it('AS-9: applies the defaults (RFC 7591 auth method, both grant types, web)', () => {
    expect(validateClientMetadata(base, rules)).toEqual({
      redirect_uris: ['https://app.example.com/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'web',
    });
  });

  it('AS-18: reads own known members only; null and "" count as absent', () => {
    const input = JSON.parse(
      '{"redirect_uris":["https://app.example.com/cb"],"__proto__":{"client_name":"x"},"client_uri":null,"scope":"","other":1}',
    );
    expect(validateClientMetadata(input, rules)).not.toHaveProperty('client_name');
    expect(validateClientMetadata(input, rules)).not.toHaveProperty('client_uri');
    expect(validateClientMetadata(input, rules)).not.toHaveProperty('scope');
    expect(validateClientMetadata(input, rules)).not.toHaveProperty('other');
  });

  it('AS-14: names the offending redirect URI by index', () => {
    const result = errorOf({ redirect_uris: ['https://ok.example/cb', 'http://evil.example/cb'] });
    expect(result.error).toBe('invalid_redirect_uri');
    expect(result.description).toMatch(/^redirect_uris\[1\]: /);
  });

  it('AS-9: reports an invalid application_type before the redirect URIs it governs', () => {
    expect(errorOf({ redirect_uris: 'nope', application_type: 'tv' }).error).toBe(
      'invalid_client_metadata',
    );
  });

  it('AS-9: refuses a non-object', () => {
    expect(errorOf(null).error).toBe('invalid_client_metadata');
    expect(errorOf([base]).error).toBe('invalid_client_metadata');
  });
});

describe('client metadata constraints', () => {
  it.each([
    ['https://app.example.com/x', true],
    ['http://localhost:3000/x', true],
    ['http://127.0.0.1/x', true],
    ['http://app.example.com/x', false],
    ['HTTPS://app.example.com/x', false],
    ['https:app.example.com', false],
    ['https://user@app.example.com', false],
    ['javascript:alert(1)', false],
    ['data:text/plain,x', false],
    ['https://app.example.com/a b', false],
    ['https://bücher.example', false],
  ])('isWebUri(%s) is %s', (uri, expected) => {
    expect(isWebUri(uri)).toBe(expected);
  });

  it.each([
    ['Zürich Tools 😀', true],
    ['tab\tinside', false],
    ['C1\u0085control', false],
    ['right-to-left \u202eoverride', false],
    ['unpaired \ud800 surrogate', false],
  ])('isSafeText(%j) is %s', (text, expected) => {
    expect(isSafeText(text)).toBe(expected);
  });
});
