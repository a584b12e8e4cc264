import { buildAuthorizationResponseUrl } from './authorization-response';

describe('buildAuthorizationResponseUrl', () => {
  it('AS-16: adds code, state and iss once each, keeping the registered query', () => {
    const url = new URL(
      buildAuthorizationResponseUrl(
        'https://app.example.com/cb?tenant=a',
        'https://as.example.com',
        {
          code: 'abc',
          state: 's&t=1',
        },
      ),
    );
    expect(url.searchParams.getAll('code')).toEqual(['abc']);
    expect(url.searchParams.getAll('state')).toEqual(['s&t=1']);
    expect(url.searchParams.getAll('iss')).toEqual(['https://as.example.com']);
    expect(url.searchParams.get('tenant')).toBe('a');
  });

  it('AS-16: error responses carry iss too and omit a missing state', () => {
    const url = new URL(
      buildAuthorizationResponseUrl('http://127.0.0.1:5000/cb', 'http://localhost:3000', {
        error: 'access_denied',
        error_description: 'The resource owner denied the request.',
        state: null,
      }),
    );
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('iss')).toBe('http://localhost:3000');
    expect(url.searchParams.has('state')).toBe(false);
  });

  it('works for private-use scheme redirect URIs of native apps', () => {
    expect(
      buildAuthorizationResponseUrl('com.example.app:/oauth/cb', 'https://as.example.com', {
        code: 'c',
        state: null,
      }),
    ).toBe('com.example.app:/oauth/cb?code=c&iss=https%3A%2F%2Fas.example.com');
  });
});
