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

describe('validateClientMetadata: private_key_jwt and machine grants', () => {
  const publicKey = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' };
  const jwt = (extra: Record<string, unknown>) => ({
    ...base,
    token_endpoint_auth_method: 'private_key_jwt',
    ...extra,
  });

  it('keeps the keys of a private_key_jwt client, inline or by https URL', () => {
    expect(validateClientMetadata(jwt({ jwks: { keys: [publicKey] } }), rules)).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicKey] },
    });
    expect(
      validateClientMetadata(jwt({ jwks_uri: 'https://app.example.com/jwks.json' }), rules),
    ).toMatchObject({ jwks_uri: 'https://app.example.com/jwks.json' });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no keys', {}, /exactly one of jwks and jwks_uri/],
    [
      'both kinds of keys',
      { jwks: { keys: [publicKey] }, jwks_uri: 'https://app.example.com/jwks.json' },
      /exactly one of jwks and jwks_uri/,
    ],
    [
      'an http jwks_uri',
      { jwks_uri: 'http://localhost/jwks.json' },
      /jwks_uri must be an https URL/,
    ],
    ['a private key', { jwks: { keys: [{ ...publicKey, d: 'secret' }] } }, /public keys/],
    ['a symmetric key', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /public keys/],
    ['an empty key set', { jwks: { keys: [] } }, /public keys/],
  ])('refuses a private_key_jwt client with %s', (_case, extra, message) => {
    const { error, description } = errorOf(jwt(extra));
    expect(error).toBe('invalid_client_metadata');
    expect(description).toMatch(message);
  });

  it('does not keep keys a client with another method sent', () => {
    expect(
      validateClientMetadata({ ...base, jwks: { keys: [publicKey] } }, rules),
    ).not.toHaveProperty('jwks');
  });

  it('refuses machine grants where they are not offered (dynamic registration)', () => {
    expect(errorOf({ ...base, grant_types: ['client_credentials'] })).toEqual({
      error: 'invalid_client_metadata',
      description: 'grant_types: client_credentials may not be registered here',
    });
  });

  it('lets a machine-only client go without redirect URIs where machine grants are offered', () => {
    const machineRules = { ...rules, grantTypes: ['client_credentials', 'authorization_code'] };
    expect(
      validateClientMetadata(
        { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
        machineRules,
      ),
    ).toMatchObject({ redirect_uris: [], grant_types: ['client_credentials'], response_types: [] });
    // …but never as a public client, which proves nothing about who asks.
    expect(() =>
      validateClientMetadata(
        { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' },
        machineRules,
      ),
    ).toThrow(/need a client that authenticates/);
    // A browser grant still needs its redirect URIs.
    expect(() =>
      validateClientMetadata({ grant_types: ['authorization_code'] }, machineRules),
    ).toThrow(/redirect_uris is required/);
  });
});
