import {
  resolveConnectedAppsOptions,
  validateConnectedAppsOptions,
} from './connected-apps-options';

const context = {
  routePrefix: '',
  passwordSignIn: true,
  external: false,
  resourcePaths: ['/mcp'],
};

describe('validateConnectedAppsOptions', () => {
  it('accepts nothing, and well-formed options', () => {
    expect(validateConnectedAppsOptions(undefined)).toEqual([]);
    expect(
      validateConnectedAppsOptions({
        enabled: true,
        path: '/account/apps',
        resolveUser: () => null,
        signInUrl: '/login',
        sessionTtl: 600,
      }),
    ).toEqual([]);
  });

  it('names every problem', () => {
    const problems = validateConnectedAppsOptions({
      enabled: 'yes' as unknown as boolean,
      path: '../apps',
      resolveUser: 'me' as unknown as () => null,
      signInUrl: 'javascript:alert(1)',
      sessionTtl: 5,
      colour: 'red',
    } as never);
    expect(problems).toEqual([
      'connectedApps.colour is not an option',
      'connectedApps.enabled must be true or false',
      'connectedApps.path must be an absolute plain path such as "/account/apps"',
      'connectedApps.resolveUser must be a function (request) => user | null',
      'connectedApps.signInUrl must be an http(s) URL or a path starting with "/"',
      'connectedApps.sessionTtl must be whole seconds from 60 to 86400',
    ]);
    expect(validateConnectedAppsOptions([] as never)).toHaveLength(1);
    expect(validateConnectedAppsOptions({ signInUrl: '//evil.example' })).toHaveLength(1);
    expect(validateConnectedAppsOptions({ path: '/a/./b' })).toHaveLength(1);
  });
});

describe('resolveConnectedAppsOptions', () => {
  it('is on with the password sign-in, under the route prefix by default', () => {
    expect(resolveConnectedAppsOptions(undefined, { ...context, routePrefix: '/oauth' })).toEqual({
      enabled: true,
      path: '/oauth/connected-apps',
      signIn: 'built-in',
      resolveUser: undefined,
      signInUrl: undefined,
      sessionTtl: 900,
    });
  });

  it('is off without a way to know the user, and refuses enabled: true then', () => {
    const external = { ...context, external: true };
    expect(resolveConnectedAppsOptions(undefined, external).enabled).toBe(false);
    expect(
      resolveConnectedAppsOptions(undefined, { ...context, passwordSignIn: false }).enabled,
    ).toBe(false);
    // Federation providers alone are a way: the page offers "Continue with" buttons.
    expect(
      resolveConnectedAppsOptions(undefined, {
        ...context,
        passwordSignIn: false,
        federationSignIn: true,
      }),
    ).toMatchObject({ enabled: true, signIn: 'built-in' });
    expect(
      resolveConnectedAppsOptions(undefined, { ...external, federationSignIn: true }).enabled,
    ).toBe(false);
    expect(() => resolveConnectedAppsOptions({ enabled: true }, external)).toThrow(
      /needs a way to know the user/,
    );
    const resolveUser = () => null;
    expect(resolveConnectedAppsOptions({ resolveUser }, external)).toMatchObject({
      enabled: true,
      signIn: 'resolver',
    });
  });

  it('honours enabled: false and refuses a path on a resource', () => {
    expect(resolveConnectedAppsOptions({ enabled: false }, context).enabled).toBe(false);
    expect(() => resolveConnectedAppsOptions({ path: '/mcp/apps' }, context)).toThrow(
      /on the path of a resource/,
    );
    expect(resolveConnectedAppsOptions({ path: '/account/apps/' }, context).path).toBe(
      '/account/apps',
    );
  });
});
