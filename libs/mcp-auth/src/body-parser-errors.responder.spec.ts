import { EndpointPaths } from './body-parser-errors.responder';

const endpoints = {
  authorization: 'https://as.example.com/oauth/authorize',
  token: 'https://as.example.com/oauth/token',
  registration: 'https://as.example.com/oauth/register',
  revocation: 'https://as.example.com/oauth/revoke',
  introspection: 'https://as.example.com/oauth/introspect',
  interaction: 'https://as.example.com/oauth/interaction',
  federation: 'https://as.example.com/oauth/federation',
  jwks: 'https://as.example.com/.well-known/jwks.json',
};

describe('EndpointPaths (AS-24: the shape of errors raised before routing)', () => {
  const express = { caseSensitive: false, ignoreTrailingSlash: true };

  it('recognizes every spelling Express serves with the module’s handlers', () => {
    const paths = new EndpointPaths({ endpoints, host: undefined }, express);
    for (const path of ['/oauth/token', '/OAUTH/TOKEN', '/oauth/Token/', '/oauth/register/']) {
      expect(paths.kindOf(path, 'as.example.com')).toBe('json');
    }
    expect(paths.kindOf('/oauth/Authorize/', undefined)).toBe('page');
    expect(paths.kindOf('/OAuth/Interaction/abc/login', undefined)).toBe('page');
  });

  it('leaves every other path to the host', () => {
    const paths = new EndpointPaths({ endpoints, host: undefined }, express);
    for (const path of [
      '/token',
      '/oauth/token/extra',
      '/oauth/tokens',
      '/oauth/interaction',
      '/',
    ]) {
      expect(paths.kindOf(path, undefined)).toBeUndefined();
    }
  });

  it('follows a strict, case-sensitive router exactly', () => {
    const paths = new EndpointPaths(
      { endpoints, host: undefined },
      { caseSensitive: true, ignoreTrailingSlash: false },
    );
    expect(paths.kindOf('/oauth/token', undefined)).toBe('json');
    expect(paths.kindOf('/oauth/TOKEN', undefined)).toBeUndefined();
    expect(paths.kindOf('/oauth/token/', undefined)).toBeUndefined();
  });

  it('covers the connected-apps page (HTML) and its API (JSON) when the page is on', () => {
    const paths = new EndpointPaths({ endpoints, host: undefined }, express, '/account/apps');
    for (const path of ['/account/apps', '/Account/Apps/', '/account/apps/login']) {
      expect(paths.kindOf(path, undefined)).toBe('page');
    }
    for (const path of ['/account/apps/api', '/account/apps/API/grants/x']) {
      expect(paths.kindOf(path, undefined)).toBe('json');
    }
    expect(paths.kindOf('/oauth/federation/github/connected-apps', undefined)).toBe('page');
    expect(paths.kindOf('/account/applications', undefined)).toBeUndefined();
    const off = new EndpointPaths({ endpoints, host: undefined }, express);
    expect(off.kindOf('/account/apps/api/grants', undefined)).toBeUndefined();
  });

  it('answers only for its own host when the instance is bound to one', () => {
    const paths = new EndpointPaths({ endpoints, host: 'as.example.com' }, express);
    expect(paths.kindOf('/oauth/token', 'AS.example.com')).toBe('json');
    expect(paths.kindOf('/oauth/token', 'other.example.com')).toBeUndefined();
  });
});
