import type * as OpenId from 'openid-client';
import type {
  OAuth2UpstreamProviderOptions,
  OidcUpstreamProviderOptions,
} from './federation-options';
import { openIdClient } from './openid-client.loader';
import { translateUpstreamError } from './upstream-error.translator';
import { UpstreamRefusedError, UpstreamUnavailableError } from './upstream.errors';

const OIDC: OidcUpstreamProviderOptions = {
  type: 'oidc',
  id: 'corp',
  name: 'Corp',
  clientId: 'client',
  issuer: 'https://idp.example.com',
};
const GITHUB: OAuth2UpstreamProviderOptions = {
  type: 'oauth2',
  id: 'github',
  name: 'GitHub',
  clientId: 'client',
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  userEndpoint: 'https://api.github.com/user',
  invalidGrantErrors: ['bad_refresh_token'],
  profile: () => ({ subject: '1' }),
};

describe('translateUpstreamError', () => {
  let client: typeof OpenId;
  beforeAll(async () => {
    client = await openIdClient();
  });

  const bodyError = (error: string) =>
    new client.ResponseBodyError('token endpoint error', {
      cause: { error },
      response: new Response(null, { status: 400 }),
    });

  it('passes our own errors through unchanged', () => {
    const refused = new UpstreamRefusedError('access_denied', 'no');
    const unavailable = new UpstreamUnavailableError('down');
    expect(translateUpstreamError(client, refused, 'sign-in', OIDC)).toBe(refused);
    expect(translateUpstreamError(client, unavailable, 'sign-in', OIDC)).toBe(unavailable);
  });

  it('refuses with the code of an authorization error response', () => {
    const error = new client.AuthorizationResponseError('denied', {
      cause: new URLSearchParams({ error: 'access_denied' }),
    });
    const translated = translateUpstreamError(client, error, 'sign-in', OIDC);
    expect(translated).toBeInstanceOf(UpstreamRefusedError);
    expect(translated).toMatchObject({
      error: 'access_denied',
      message: 'Corp answered access_denied.',
    });
  });

  it("restates a provider's own dead-refresh-token code as invalid_grant (OAuth 2 only)", () => {
    expect(
      translateUpstreamError(client, bodyError('bad_refresh_token'), 'refresh', GITHUB),
    ).toMatchObject({
      error: 'invalid_grant',
      message: 'GitHub refused the refresh: bad_refresh_token.',
    });
    expect(
      translateUpstreamError(client, bodyError('bad_refresh_token'), 'refresh', OIDC),
    ).toMatchObject({ error: 'bad_refresh_token' });
  });

  it('calls a failed or timed-out fetch unavailable, even when wrapped', () => {
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    const wrapped = new Error('request failed', {
      cause: new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }),
    });
    for (const error of [timeout, wrapped]) {
      const translated = translateUpstreamError(client, error, 'userinfo', OIDC);
      expect(translated).toBeInstanceOf(UpstreamUnavailableError);
      expect(translated.message).toBe('Corp did not answer the userinfo in time.');
    }
  });

  it('refuses anything else as a failed check, without a code', () => {
    const translated = translateUpstreamError(client, new Error('bad nonce'), 'sign-in', OIDC);
    expect(translated).toBeInstanceOf(UpstreamRefusedError);
    expect(translated).toMatchObject({
      error: null,
      message: "Corp's sign-in answer failed a check.",
    });
  });
});
